// meetflow admin page: live queue counts, the throughput chart, confirmations and POSTs.
// Plain browser JavaScript, no dependencies, served by meetflow-admin itself.
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  function fmtAge(ms) {
    if (!ms) return "-";
    var s = Math.floor(ms / 1000);
    if (s < 60) return (ms / 1000).toFixed(1) + "s";
    if (s < 3600) return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
    if (s < 86400) return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0") + "m";
    return Math.floor(s / 86400) + "d" + String(Math.floor((s % 86400) / 3600)).padStart(2, "0") + "h";
  }

  var SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  // Stacked bars per minute: processed, retried, dead.
  function drawChart(points) {
    var box = document.getElementById("chart");
    if (!box || !points) return;
    var w = Math.max(box.clientWidth || 720, 320), h = 160, pad = 28, n = points.length || 1;
    var max = 1;
    points.forEach(function (p) { max = Math.max(max, p.processed + p.retried + p.dead); });
    var svg = el("svg", { viewBox: "0 0 " + w + " " + (h + 20), width: "100%", height: h + 20 });
    var bw = (w - pad) / n;
    [0, 0.5, 1].forEach(function (f) {
      var y = h - f * (h - 10);
      svg.appendChild(el("line", { x1: pad, x2: w, y1: y, y2: y, "class": "grid" }));
      var t = el("text", { x: pad - 4, y: y + 4, "text-anchor": "end", "class": "axis" });
      t.textContent = String(Math.round(f * max));
      svg.appendChild(t);
    });
    points.forEach(function (p, i) {
      var x = pad + i * bw + 1, y = h;
      [["ok", p.processed], ["retry", p.retried], ["dead", p.dead]].forEach(function (part) {
        if (!part[1]) return;
        var bh = (part[1] / max) * (h - 10);
        y -= bh;
        var r = el("rect", { x: x, y: y, width: Math.max(bw - 2, 1), height: bh, "class": part[0] });
        var title = el("title", {});
        title.textContent = new Date(p.at_ms).toLocaleTimeString() + ": " + part[1] + " " +
          (part[0] === "ok" ? "processed" : part[0] === "retry" ? "retried" : "dead");
        r.appendChild(title);
        svg.appendChild(r);
      });
    });
    [0, n - 1].forEach(function (i) {
      if (!points[i]) return;
      var t = el("text", { x: pad + i * bw + (i ? bw : 0), y: h + 16, "text-anchor": i ? "end" : "start", "class": "axis" });
      t.textContent = i ? "now" : new Date(points[i].at_ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      svg.appendChild(t);
    });
    box.replaceChildren(svg);
  }

  function refreshQueues() {
    if (document.visibilityState !== "visible") return;
    fetch("/api/queues", { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (data) {
        data.queues.forEach(function (s) {
          var row = document.querySelector('#queues tr[data-queue="' + CSS.escape(s.queue) + '"]');
          if (!row) return;
          var set = function (k, v) { var c = row.querySelector('[data-k="' + k + '"]'); if (c) c.textContent = v; };
          set("ready", s.ready); set("running", s.running); set("delayed", s.delayed);
          set("retrying", s.retrying); set("dead", s.dead); set("oldest", fmtAge(s.oldest_ready_age_ms));
          set("processed", s.processed_last_minute); set("failed", s.failed_last_minute);
          set("state", s.paused ? "paused" : "running");
          var pb = row.querySelector("button[data-pause]");
          if (pb) { pb.dataset.pause = s.paused ? "resume" : "pause"; pb.textContent = s.paused ? "Resume" : "Pause"; }
          var oldest = row.querySelector('[data-k="oldest"]');
          if (oldest) oldest.classList.toggle("alert", s.oldest_ready_age_ms > 300000);
        });
        drawChart(data.throughput);
        var u = document.getElementById("updated");
        if (u) { u.textContent = "updated " + new Date().toLocaleTimeString(); u.classList.remove("error"); }
      })
      .catch(function (e) {
        var u = document.getElementById("updated");
        if (u) { u.textContent = "refresh failed: " + e.message; u.classList.add("error"); }
      });
  }

  function selectedIds() {
    return Array.prototype.map.call(document.querySelectorAll('#dlq input[name="id"]:checked'), function (c) { return c.value; });
  }

  function post(button, action, body, what) {
    var verb = action === "retry" ? "Replay" : "Delete";
    button.disabled = true;
    fetch("/api/dlq/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    }).then(function (j) {
      var msg = (body.resend ? "Sent again " : action === "retry" ? "Replayed " : "Deleted ") + j.done + " of " + j.requested + " (" + what + ")";
      if (j.possibly_sent) msg += "; " + j.possibly_sent + " possibly sent left out";
      var target = new URL(button.dataset.redirect || window.location.href, window.location.href);
      target.searchParams.set("done", msg);
      target.searchParams.delete("offset");
      window.location.assign(target.toString());
    }).catch(function (e) {
      button.disabled = false;
      alert(verb + " failed: " + e.message);
    });
  }

  var FILTERS = ["queue", "class", "q", "since", "until"];

  function act(button) {
    var action = button.dataset.action;           // retry | delete
    var verb = action === "retry" ? "Replay" : "Delete";
    var warning = action === "delete" ? "\nDeleted jobs cannot be recovered." : "";
    if (button.dataset.resend) {
      // A possibly sent SMS: its own confirmation, one job, sent again on purpose.
      var one = JSON.parse(button.dataset.ids);
      if (!confirm("Send job " + one[0] + " again?\nIt may already have reached the person: check EngageLab first. " +
        "An SMS marked sent is never sent again.")) return;
      post(button, "retry", { ids: one, resend: true }, "job " + one[0]);
      return;
    }
    if (button.dataset.ids) {
      var ids = JSON.parse(button.dataset.ids);
      var what1 = ids.length === 1 ? "job " + ids[0] : ids.length + " jobs";
      if (!confirm(verb + " " + what1 + "?" + warning)) return;
      post(button, action, { ids: ids }, what1);
    } else if (button.dataset.scope === "all") {
      // Exactly the filtered set: ask the server how many that is before confirming.
      var body = { all: true }, params = new URLSearchParams();
      FILTERS.forEach(function (k) {
        var v = button.dataset[k];
        if (v) { body[k] = v; params.set(k, v); }
      });
      button.disabled = true;
      fetch("/api/dlq/count?" + params.toString(), { credentials: "same-origin", headers: { accept: "application/json" } })
        .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; }); })
        .then(function (c) {
          button.disabled = false;
          var what = c.count + " dead letter" + (c.count === 1 ? "" : "s") + " matching the filter";
          var left = c.possibly_sent ? "\n" + c.possibly_sent + " marked possibly sent are left out." : "";
          if (!c.count) { alert("No dead letters to " + verb.toLowerCase() + " match the filter." + left); return; }
          if (!confirm(verb + " " + what + "?" + left + warning)) return;
          post(button, action, body, what);
        })
        .catch(function (e) { button.disabled = false; alert(verb + " failed: " + e.message); });
    } else {
      var sel = selectedIds();
      if (!sel.length) { alert("Select dead letters first."); return; }
      var what2 = sel.length + " selected dead letter" + (sel.length > 1 ? "s" : "");
      if (!confirm(verb + " " + what2 + "?" + warning)) return;
      post(button, action, { ids: sel }, what2);
    }
  }

  // The kill switch: pause or resume one queue, or all, after a confirmation.
  function pauseOrResume(button) {
    var action = button.dataset.pause, target = button.dataset.target;
    var what = target === "all" ? "every queue" : "queue " + target;
    var effect = action === "pause"
      ? "\nWorkers stop taking its jobs within a second; jobs in flight finish, new and due jobs wait."
      : "\nWorkers run the jobs that waited at once.";
    if (!confirm((action === "pause" ? "Pause " : "Resume ") + what + "?" + effect)) return;
    button.disabled = true;
    fetch("/api/queues/" + encodeURIComponent(target) + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
      body: "{}"
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    }).then(function () {
      var t = new URL(window.location.href);
      t.searchParams.set("done", (action === "pause" ? "Paused " : "Resumed ") + what);
      window.location.assign(t.toString());
    }).catch(function (e) {
      button.disabled = false;
      alert((action === "pause" ? "Pause" : "Resume") + " failed: " + e.message);
    });
  }

  // One waiting job: run now, cancel, or move to the dead letters, refused if it changed.
  var JOB_VERBS = { "run-now": "Run now", cancel: "Cancel", dead: "Move to the dead letters" };
  function jobAction(button) {
    var action = button.dataset.jobAction, id = button.dataset.id, expect = button.dataset.expect;
    var effect = action === "cancel" ? "\nIt will never run." : action === "dead" ? "\nIt can be replayed from the dead letters." : "";
    if (!confirm(JOB_VERBS[action] + ": job " + id + " (" + expect + ")?" + effect)) return;
    button.disabled = true;
    fetch("/api/jobs/" + encodeURIComponent(id) + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
      body: JSON.stringify({ expect: expect })
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    }).then(function (j) {
      var t = new URL(window.location.href);
      t.searchParams.set("done", j.message);
      window.location.assign(t.toString());
    }).catch(function (e) {
      button.disabled = false;
      alert(JOB_VERBS[action] + " failed: " + e.message);
    });
  }

  // The delivery log: replay one delivery, or every one the filter on screen matches.
  var DELIVERY_FILTERS = ["provider", "event", "person", "since", "until"];
  function deliveryReplay(button) {
    var body, what;
    if (button.dataset.deliveryReplay === "all") {
      body = { all: true };
      DELIVERY_FILTERS.forEach(function (k) { if (button.dataset[k]) body[k] = button.dataset[k]; });
      what = "every delivery matching the filter";
    } else {
      body = { ids: [button.dataset.id] };
      what = "delivery " + button.dataset.id;
    }
    if (!confirm("Replay " + what + "?\nEach is processed again as a new job; an SMS already sent is not sent again.")) return;
    button.disabled = true;
    fetch("/api/deliveries/replay", {
      method: "POST", credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf, accept: "application/json" },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || ("HTTP " + r.status)); return j; });
    }).then(function (j) {
      var t = new URL(button.dataset.redirect || window.location.href, window.location.href);
      var n = j.replayed.length;
      t.searchParams.set("done", "Replayed " + n + " deliver" + (n === 1 ? "y" : "ies") + (j.missing.length ? "; " + j.missing.length + " no longer in the log" : ""));
      t.searchParams.delete("cursor");
      window.location.assign(t.toString());
    }).catch(function (e) {
      button.disabled = false;
      alert("Replay failed: " + e.message);
    });
  }

  document.addEventListener("click", function (ev) {
    var d = ev.target.closest("button[data-delivery-replay]");
    if (d) { ev.preventDefault(); deliveryReplay(d); return; }
    var j = ev.target.closest("button[data-job-action]");
    if (j) { ev.preventDefault(); jobAction(j); return; }
    var b = ev.target.closest("button[data-action]");
    if (b) { ev.preventDefault(); act(b); return; }
    var p = ev.target.closest("button[data-pause]");
    if (p) { ev.preventDefault(); pauseOrResume(p); }
  });
  var all = document.getElementById("select-all");
  if (all) all.addEventListener("change", function () {
    document.querySelectorAll('#dlq input[name="id"]').forEach(function (c) { c.checked = all.checked; });
  });
  var data = document.getElementById("throughput-data");
  if (data) {
    try { drawChart(JSON.parse(data.textContent)); } catch (e) { /* keep the page usable */ }
    setInterval(refreshQueues, 2000);
  }
})();
