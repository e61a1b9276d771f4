"""The autopilot: channels produce on their cadence, within their budgets and the quota.

``slots`` lays a channel's cadence over its local days; ``forecast`` says what one more
video costs; ``service.tick`` fills each autopilot channel's buffer of publish slots and
``service.upcoming_slots`` is the schedule the dashboard and the API show.
"""
