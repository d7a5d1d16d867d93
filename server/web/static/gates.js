// The gates page: ask every second for events that arrived since the newest one shown and put
// them on top, and redraw the open alarms and the kiosks' health. Text goes in as textContent,
// never as HTML, so a name someone typed cannot become markup.
"use strict";

const POLL_MS = 1000;
const KEEP_ROWS = 200;
const LOG_FIELDS = ["time", "kiosk", "kind", "direction", "verdict", "reason", "flat", "name", "temperature"];

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function addEvents(body, rows) {
  // newest event first by the kiosk's clock: a kiosk back online uploads older events late,
  // and each goes in at its time, not on top
  for (const r of rows) {
    if (body.querySelector(`tr[data-id="${r.id}"]`)) continue;
    const at = Number(r.at);
    const later = Array.from(body.rows).find((row) => Number(row.dataset.at) < at);
    const tr = body.insertRow(later ? later.sectionRowIndex : -1);
    tr.dataset.id = r.id;
    tr.dataset.at = r.at;
    tr.className = "verdict-" + r.verdict_code + " fresh";
    LOG_FIELDS.forEach((f) => cell(tr, r[f]));
  }
  while (body.rows.length > KEEP_ROWS) body.deleteRow(-1);
}

function showAlarms(list, alarms, section) {
  list.replaceChildren();
  if (!alarms.length) {
    const li = document.createElement("li");
    li.className = "muted";
    li.textContent = section.dataset.noAlarms;
    list.append(li);
    return;
  }
  for (const a of alarms) {
    const li = document.createElement("li");
    li.className = "alarm";
    const strong = document.createElement("strong");
    strong.textContent = a.reason;
    li.append(strong, ` · ${a.kiosk} · ${a.time}` + (a.detail ? ` · ${a.detail}` : ""));
    if (section.dataset.csrf) {
      const form = document.createElement("form");
      form.method = "post";
      form.className = "inline";
      form.action = section.dataset.ack + encodeURIComponent(a.event_id) + "/ack";
      const token = document.createElement("input");
      token.type = "hidden";
      token.name = "csrf";
      token.value = section.dataset.csrf;
      const button = document.createElement("button");
      button.type = "submit";
      button.textContent = section.dataset.ackLabel;
      form.append(token, button);
      li.append(" ", form);
    }
    list.append(li);
  }
}

function showHealth(body, health) {
  if (!health.length) return;
  body.replaceChildren();
  for (const h of health) {
    const tr = body.insertRow();
    cell(tr, h.kiosk);
    cell(tr, h.state_words, "state-" + h.state);
    cell(tr, h.last_seen);
    cell(tr, h.backlog);
    cell(tr, h.clock, h.clock_ok ? "good" : "bad");
    cell(tr, h.sensor, h.sensor_ok ? "good" : "bad");
    cell(tr, h.version);
    cell(tr, h.update, h.update_ok ? "update" : "update bad");
    cell(tr, h.update_error, "update-error");
    cell(tr, h.os, h.os_ok ? "good" : "bad");
  }
}

function poll(section) {
  const log = document.getElementById("log");
  const alarms = document.getElementById("alarms");
  const health = document.getElementById("health");
  async function tick() {
    try {
      const reply = await fetch(`${section.dataset.live}?after=${section.dataset.after}`,
        { credentials: "same-origin", cache: "no-store" });
      if (reply.ok) {
        const body = await reply.json();
        addEvents(log, body.rows);
        showAlarms(alarms, body.alarms, section);
        showHealth(health, body.health);
        section.dataset.after = body.after;
        section.dataset.polled = String(Number(section.dataset.polled || 0) + 1);
      }
    } catch (error) {
      // offline for a moment: the next tick tries again
    }
    setTimeout(tick, POLL_MS);
  }
  setTimeout(tick, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.getElementById("gates");
  if (section) poll(section);
});
