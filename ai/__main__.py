"""``python -m ai serve|models|doctor``: the gateway's commands without the backend."""

from ai.cli import standalone_app

if __name__ == "__main__":
    standalone_app()()
