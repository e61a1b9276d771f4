// YTEMPIRE dashboard: live events over /ws, toasts, in-place queue updates, 60 s polling.
// No inline scripts (CSP script-src 'self'); everything hangs off data attributes.
(function () {
  "use strict";

  var STAGES = ["topic", "script", "quality", "voice", "images", "render", "thumbnail"];

  function $all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  // ---- formatting --------------------------------------------------------
  // The money rule of backend/web/formats.py: $0.00, two decimals from a cent up,
  // up to four decimals under a cent, <$0.0001 below that, a minus in front.
  function money(value) {
    var v = Number(value) || 0;
    var sign = v < 0 ? "-" : "";
    v = Math.abs(v);
    if (v === 0 || v >= 0.01) {
      return sign + "$" + v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    }
    if (v < 0.0001) return sign + "<$0.0001";
    return sign + "$" + v.toFixed(4).replace(/0+$/, "");
  }
  // fmt_number of backend/web/formats.py for whole numbers: 950, 1.3k, 13k, 1.3M
  function compact(n) {
    var a = Math.abs(n);
    if (a >= 1000000) return (n / 1000000).toFixed(1) + "M";
    if (a >= 10000) return (n / 1000).toFixed(0) + "k";
    if (a >= 1000) return (n / 1000).toFixed(1) + "k";
    return String(n);
  }
  function format(value, kind) {
    if (value === null) return "\u2014"; // unknown (revenue YouTube did not give), never 0
    if (kind === "money") return money(value);
    if (kind === "pct") return (Number(value) || 0).toFixed(0) + "%";
    if (kind === "roi") { var r = Math.round(Number(value) || 0); return (r >= 0 ? "+" : "") + compact(r) + " %"; }
    if (kind === "int") return String(Math.round(Number(value) || 0));
    if (kind === "days") { var n = Math.round(Number(value) || 0); return n + (n === 1 ? " day" : " days"); }
    return String(value);
  }

  // ---- toasts ------------------------------------------------------------
  function toast(kind, title, body, href) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var el = document.createElement("div");
    el.className = "toast toast-" + kind;
    el.setAttribute("role", kind === "error" ? "alert" : "status");
    el.dataset.kind = kind;
    var h = document.createElement("p");
    h.className = "toast-title";
    h.textContent = title;
    el.appendChild(h);
    if (body) {
      var p = document.createElement("p");
      p.className = "toast-body";
      if (href) {
        var a = document.createElement("a");
        a.href = href;
        a.textContent = body;
        p.appendChild(a);
      } else {
        p.textContent = body;
      }
      el.appendChild(p);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss notification");
    close.textContent = "×";
    close.addEventListener("click", function () { el.remove(); });
    el.appendChild(close);
    box.appendChild(el);
    var ttl = kind === "error" ? 15000 : 8000;
    setTimeout(function () { el.remove(); }, ttl);
    while (box.children.length > 5) box.firstChild.remove();
  }

  // ---- queue rows and video pages ---------------------------------------
  function setStatus(root, status) {
    $all(".js-status", root).forEach(function (badge) {
      badge.className = badge.className.replace(/status-[a-z_]+/, "status-" + status);
      badge.textContent = status.replace(/_/g, " ");
    });
  }
  function setProgress(root, fraction) {
    var pct = Math.max(0, Math.min(100, fraction * 100));
    $all("progress.js-progress", root).forEach(function (bar) {
      bar.value = pct;
      bar.textContent = Math.round(pct) + "%";
    });
    $all(".js-percent", root).forEach(function (el) { el.textContent = Math.round(pct) + "%"; });
  }
  var DONE_STATUSES = ["ready", "publishing", "scheduled", "published"];

  function setStage(root, stage, finished) {
    $all(".js-stage", root).forEach(function (el) { el.textContent = stage; });
    if (stage === "upload") finished = true; // production is done: every dot stays green
    var index = STAGES.indexOf(stage);
    $all(".stage-dots li", root).forEach(function (dot, i) {
      dot.classList.toggle("done", finished || i < index);
      dot.classList.toggle("now", !finished && i === index);
    });
  }
  function titleLinks(root, id) {
    var marked = $all(".js-title", root);
    if (marked.length || root.tagName !== "TR") return marked;
    return $all('a[href="/videos/' + id + '"]', root).slice(0, 1);
  }
  function setTitle(root, id, title) {
    if (!title) return;
    titleLinks(root, id).forEach(function (el) {
      el.textContent = title;
      el.title = title;
    });
  }
  function setDetail(root, detail) {
    var boxes = $all(".js-detail", root);
    if (!boxes.length) {
      // a row without a detail line yet: put one under the stage name
      $all(".js-stage", root).slice(0, 1).forEach(function (stage) {
        var el = document.createElement("span");
        el.className = "js-detail stage-detail small muted";
        stage.insertAdjacentElement("afterend", el);
        boxes.push(el);
      });
    }
    boxes.forEach(function (el) { el.textContent = detail || ""; });
  }
  function setQuality(root, score) {
    if (score === undefined || score === null || score === "") return;
    var value = Number(score);
    if (!isFinite(value)) return;
    $all(".js-quality", root).forEach(function (el) { el.textContent = value.toFixed(2); });
  }
  function youtubeUrl(data) {
    if (data.youtube_url) return data.youtube_url;
    if (data.url) return data.url;
    if (data.youtube_video_id) return "https://www.youtube.com/watch?v=" + encodeURIComponent(data.youtube_video_id);
    return null;
  }
  function eventTitle(event) {
    return event.title || (event.data && event.data.title) || null;
  }
  function videoRoots(id) {
    return $all('[data-video-id="' + id + '"]');
  }
  function flash(root) {
    if (root.tagName !== "TR") return;
    root.classList.remove("flash");
    void root.offsetWidth;
    root.classList.add("flash");
  }
  function finish(root, id, event, status) {
    setStatus(root, status);
    setTitle(root, id, eventTitle(event));
    if (DONE_STATUSES.indexOf(status) >= 0) {
      setStage(root, status, true);
    } else {
      $all(".js-stage", root).forEach(function (el) { el.textContent = status.replace(/_/g, " "); });
    }
    setDetail(root, "");
    var data = event.data || {};
    setQuality(root, event.quality_score !== undefined ? event.quality_score : (data.quality_score !== undefined ? data.quality_score : data.score));
    flash(root);
  }

  // The video page's YouTube card after an upload ended: the server renders it again
  // (link, privacy, thumbnail and caption status), swapped in without a reload.
  function refreshYouTubeCard(id) {
    var card = document.querySelector('section#youtube[data-video-id="' + id + '"]');
    if (!card || !window.fetch || !window.DOMParser) return;
    fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelector('section#youtube[data-video-id="' + id + '"]');
        var current = document.querySelector('section#youtube[data-video-id="' + id + '"]');
        if (fresh && current) current.replaceWith(document.importNode(fresh, true));
        var actions = doc.querySelector(".page-head .head-actions");
        var head = document.querySelector(".page-head .head-actions");
        if (actions && head) head.replaceWith(document.importNode(actions, true));
        localTimes();
        browserZone();
        document.body.dataset.cardRefreshed = String(Number(document.body.dataset.cardRefreshed || 0) + 1);
      })
      .catch(function () { /* the page still shows the toast; a reload shows the rest */ });
  }

  // An upload that ended (published, scheduled, held back to ready) has nothing to cancel.
  function dropCancel(root) {
    $all('form[action$="/cancel"]', root).forEach(function (form) { form.remove(); });
  }

  function onEvent(event) {
    var id = event.video_id;
    var href = id ? "/videos/" + id : null;
    if (event.type === "video.stage") {
      var settled = event.status === "published" || event.status === "scheduled";
      videoRoots(id).forEach(function (root) {
        var badge = root.querySelector(".js-status");
        if (event.status) {
          setStatus(root, event.status);
        } else if (badge && /status-queued/.test(badge.className)) {
          setStatus(root, "running");
        }
        setTitle(root, id, event.title);
        setStage(root, settled ? event.status : event.stage, settled);
        setProgress(root, Number(event.progress) || 0);
        setDetail(root, settled ? "" : event.detail);
        setQuality(root, event.quality_score);
      });
      return;
    }
    if (event.type === "video.completed") {
      videoRoots(id).forEach(function (root) {
        finish(root, id, event, "ready");
        setProgress(root, 1);
      });
      toast("success", "Video ready", event.message || ((eventTitle(event) || "A video") + ": ready"), href);
      return;
    }
    if (event.type === "video.needs_review") {
      var name = eventTitle(event) || "A video";
      videoRoots(id).forEach(function (root) { finish(root, id, event, "needs_review"); });
      toast("warning", "Needs review", name + " needs review", href);
      return;
    }
    if (event.type === "video.failed") {
      videoRoots(id).forEach(function (root) { setStatus(root, "failed"); flash(root); });
      toast("error", "Video failed", event.message || "A video failed.", href);
      return;
    }
    if (event.type === "video.published") {
      var info = event.data || {};
      var url = youtubeUrl(info);
      var scheduled = info.status === "scheduled" || info.scheduled === true;
      videoRoots(id).forEach(function (root) {
        finish(root, id, event, scheduled ? "scheduled" : "published");
        setProgress(root, 1);
        dropCancel(root);
        $all(".js-youtube-link", root).forEach(function (a) {
          if (url) { a.href = url; a.hidden = false; }
        });
      });
      toast("success", scheduled ? "Scheduled on YouTube" : "Published on YouTube",
        event.message || ((eventTitle(event) || "A video") + (url ? ": " + url : "")), url || href);
      refreshYouTubeCard(id);
      return;
    }
    if (event.type === "video.publish_failed") {
      videoRoots(id).forEach(function (root) { setStatus(root, "failed"); flash(root); });
      toast("error", "Upload failed", event.message || "An upload to YouTube failed.", href);
      refreshYouTubeCard(id);
      return;
    }
    if (event.type === "video.publish_held") {
      var held = event.data || {};
      var reasons = Array.isArray(held.reasons) ? held.reasons : [];
      videoRoots(id).forEach(function (root) { setStatus(root, "ready"); dropCancel(root); flash(root); });
      toast("warning", "Upload held", event.message || reasons.join("; ") || "An upload was held.", href);
      refreshYouTubeCard(id);
      return;
    }
    if (event.type === "channel.needs_reconnect") {
      toast("error", "Reconnect YouTube", event.message || "A channel's YouTube access must be reconnected.",
        event.channel_id ? "/channels/" + event.channel_id + "#youtube" : null);
      return;
    }
    if (event.type === "cost.alert") {
      toast(event.severity === "critical" ? "error" : "warning", "Budget alert", event.message, event.channel_id ? "/channels/" + event.channel_id : null);
      return;
    }
    if (event.type === "niche.alert") {
      // a watched niche crossed the owner's threshold (backend/niches/alerts.py)
      var niche = (event.data || {}).niche_id;
      toast("info", "Niche alert", event.message || "A niche on your watchlist crossed its threshold.",
        niche ? "/niches?niche=" + encodeURIComponent(niche) : "/niches");
      return;
    }
    if (event.type === "system.alert" || event.type === "system.alert_resolved") {
      // backend/alerts: disk, backups, quota, queues, stuck videos, failure rate (or a test)
      var resolved = event.type === "system.alert_resolved";
      var kind = resolved || event.severity === "info" ? "info" : (event.severity === "critical" ? "error" : "warning");
      toast(kind, resolved ? "Alert cleared" : "System alert", event.message,
        event.video_id ? "/videos/" + event.video_id : "/system#alerting");
      return;
    }
    if (event.type === "channel.paused" || event.type === "channel.resumed") {
      toast("info", event.type === "channel.paused" ? "Channel paused" : "Channel resumed", event.message,
        event.channel_id ? "/channels/" + event.channel_id : null);
    }
  }

  // ---- WebSocket with reconnect and backoff ------------------------------
  function liveState(state, label) {
    var el = document.getElementById("live-status");
    if (!el) return;
    el.dataset.state = state;
    var text = el.querySelector(".live-label");
    if (text) text.textContent = label;
    el.title = "Live updates: " + label.toLowerCase();
  }

  function connect() {
    var attempt = 0;
    var socket = null;
    var pinger = null;

    function schedule() {
      var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.75 + Math.random() * 0.5);
      attempt += 1;
      liveState("closed", "Reconnecting");
      setTimeout(open, delay);
    }

    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      liveState("connecting", "Connecting");
      socket = new WebSocket(scheme + location.host + "/ws");
      socket.addEventListener("open", function () {
        liveState("open", "Live");
        document.body.dataset.ws = "open";
        pinger = setInterval(function () {
          if (socket.readyState === WebSocket.OPEN) socket.send("ping");
        }, 25000);
      });
      socket.addEventListener("message", function (msg) {
        var event;
        try { event = JSON.parse(msg.data); } catch (e) { return; }
        if (event && event.type === "hello") attempt = 0; // signed in: the backoff starts over
        if (event && event.type) onEvent(event);
      });
      socket.addEventListener("close", function (ev) {
        document.body.dataset.ws = "closed";
        if (pinger) clearInterval(pinger);
        if (ev.code === 4401) {
          // The access token ran out: any HTTP request renews the session cookie.
          fetch("/api/v1/users/me", { credentials: "same-origin" }).then(function (r) {
            if (r.status === 401) {
              location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
            } else {
              schedule();
            }
          }, schedule);
          return;
        }
        if (ev.code === 4403) {
          // Refused as cross-site (a proxy rewrote Host or Origin): retrying cannot help.
          liveState("closed", "Off");
          return;
        }
        schedule();
      });
    }
    open();
  }

  // ---- overview polling --------------------------------------------------
  function lookup(data, path) {
    return path.split(".").reduce(function (obj, key) { return obj == null ? undefined : obj[key]; }, data);
  }
  function apply(el, value, kind) {
    if (value === undefined) return;
    if (value === null && (el.tagName === "PROGRESS" || !kind)) return;
    if (el.tagName === "PROGRESS") {
      el.value = Math.min(Number(value) || 0, el.max);
      return;
    }
    var text = format(value, kind);
    if (el.textContent !== text) {
      el.textContent = text;
      el.classList.add("changed");
      setTimeout(function () { el.classList.remove("changed"); }, 1500);
    }
    if (el.hasAttribute("data-sign")) el.classList.toggle("negative", value !== null && Number(value) < 0);
  }
  function render(data) {
    $all("[data-metric]").forEach(function (el) {
      var maxPath = el.getAttribute("data-metric-max");
      if (maxPath && el.tagName === "PROGRESS") el.max = Math.max(Number(lookup(data, maxPath)) || 0, 0.0001);
      apply(el, lookup(data, el.getAttribute("data-metric")), el.getAttribute("data-format"));
    });
    (data.channels || []).forEach(function (row) {
      var tr = document.querySelector('[data-channel-id="' + row.id + '"]');
      if (!tr) return;
      $all("[data-field]", tr).forEach(function (el) {
        apply(el, row[el.getAttribute("data-field")], el.getAttribute("data-format"));
      });
    });
    $all("[data-hide-zero]").forEach(function (el) {
      var count = lookup(data, el.getAttribute("data-hide-zero"));
      if (count !== undefined) el.hidden = !Number(count);
    });
    $all("[data-updated]").forEach(function (el) {
      var when = new Date(data.generated_at);
      el.setAttribute("datetime", data.generated_at);
      el.textContent = when.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    });
  }
  function startPolling(host) {
    var url = host.getAttribute("data-poll-url");
    var seconds = Number(host.getAttribute("data-poll-seconds")) || 60;
    function poll() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401) { location.href = "/login?next=/"; return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          if (data) {
            render(data);
            document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
          }
        })
        .catch(function () { /* offline for a moment: the next tick tries again */ });
    }
    setInterval(poll, seconds * 1000);
  }

  // ---- confirmations (no inline handlers under the CSP) ------------------
  function confirmations() {
    document.addEventListener("submit", function (ev) {
      var form = ev.target;
      var question = form.getAttribute && form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) ev.preventDefault();
    });
  }

  // ---- times in the browser's zone; the Schedule form's zone ------------------
  function zoneName() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
  }
  function localTimes() {
    $all("time[data-local]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime()) || el.dataset.localized) return;
      el.dataset.localized = "1";
      el.title = el.textContent; // the UTC text stays as the tooltip
      el.textContent = when.toLocaleString(undefined, {
        year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    });
  }
  function browserZone() {
    var zone = zoneName();
    if (!zone) return; // no Intl zone: the form keeps UTC and says so
    $all("input[data-browser-tz]").forEach(function (input) {
      if (input.value === "UTC" || !input.value) input.value = zone;
    });
    $all(".js-tz-label").forEach(function (el) { el.textContent = "your time, " + zone; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    confirmations();
    localTimes();
    browserZone();
    if (document.body.dataset.live === "1" && "WebSocket" in window) connect();
    var host = document.querySelector("[data-poll-url]");
    if (host) startPolling(host);
  });

  window.ytempire = { onEvent: onEvent, toast: toast, money: money };
})();
