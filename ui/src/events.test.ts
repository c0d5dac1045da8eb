import { test } from "node:test";
import assert from "node:assert/strict";
import { EventCursor, holdNew, mergeTickets, resumeURL, ticketOf } from "./events";
import type { StreamEvent, Ticket } from "./types";

function tk(id: number, extra: Partial<Ticket> = {}): Ticket {
  return {
    id,
    number: `A-2026-${String(id).padStart(6, "0")}`,
    status: "new",
    priority: "normal",
    department: "",
    assignee: "",
    tags: [],
    channel_id: 1,
    platform: "mastodon",
    kind: "comment",
    contact_id: 1,
    preview: `text ${id}`,
    created_at: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
    updated_at: new Date(Date.UTC(2026, 0, 1, 0, id)).toISOString(),
    version: 1,
    ...extra,
  };
}

const open = (t: Ticket) => t.status === "new" || t.status === "open" || t.status === "waiting";

test("cursor drops duplicates and replays, keeps out-of-order gaps", () => {
  const c = new EventCursor();
  const got = [1, 2, 3, 3, 2, 5, 4, 5, 6].filter((id) => c.accept({ id }));
  assert.deepEqual(got, [1, 2, 3, 5, 4, 6]);
  assert.equal(c.last, 6);
  assert.equal(resumeURL("/api/v1/stream", c.last), "/api/v1/stream?since=6");
  assert.equal(resumeURL("/api/v1/stream", 0), "/api/v1/stream");
});

test("cursor started at an id rejects everything up to it", () => {
  const c = new EventCursor(10);
  assert.equal(c.accept({ id: 9 }), false);
  assert.equal(c.accept({ id: 10 }), false);
  assert.equal(c.accept({ id: 11 }), true);
});

test("cursor stays bounded and still rejects trimmed ids", () => {
  const c = new EventCursor();
  for (let id = 1; id <= 10000; id++) assert.equal(c.accept({ id }), true);
  for (const id of [1, 500, 9999, 10000]) assert.equal(c.accept({ id }), false, String(id));
  assert.equal(c.accept({ id: 10001 }), true);
});

test("presence frames without id always pass", () => {
  const c = new EventCursor();
  assert.equal(c.accept({ id: 0 }), true);
  assert.equal(c.accept({ id: 0 }), true);
});

test("resume after a drop: no lost, no doubled rows", () => {
  // The list shows 1..3. Live events 4, 5 arrive; the socket drops after 5;
  // on resume with since=5 the server replays 6..8, but the hub also had
  // sent 5 again and 7 live: the merged list has each ticket once.
  const c = new EventCursor();
  let rows = [tk(1), tk(2), tk(3)];
  const evs: StreamEvent[] = [
    { id: 4, type: "ticket.created", ticket_id: 4, data: { ticket: tk(4) } },
    { id: 5, type: "ticket.created", ticket_id: 5, data: tk(5) },
    // drop; resume since=5
    { id: 5, type: "ticket.created", ticket_id: 5, data: tk(5) },
    { id: 6, type: "ticket.created", ticket_id: 6, data: tk(6) },
    { id: 7, type: "ticket.updated", ticket_id: 2, data: tk(2, { status: "resolved", version: 2 }) },
    { id: 7, type: "ticket.updated", ticket_id: 2, data: tk(2, { status: "resolved", version: 2 }) },
    { id: 8, type: "ticket.updated", ticket_id: 3, data: tk(3, { tags: ["abfall"], version: 2 }) },
  ];
  for (const ev of evs) {
    if (!c.accept(ev)) continue;
    const t = ticketOf(ev);
    if (t) rows = mergeTickets(rows, [t], open).rows;
  }
  assert.deepEqual(rows.map((t) => t.id), [6, 5, 4, 3, 1]);
  assert.deepEqual(rows.find((t) => t.id === 3)!.tags, ["abfall"]);
  assert.equal(c.last, 8);
});

test("merge keeps the newer version and reports what was added", () => {
  const rows = [tk(1, { version: 3, priority: "high" })];
  const r = mergeTickets(rows, [tk(1, { version: 2 }), tk(2), tk(2)], open);
  assert.deepEqual(r.rows.map((t) => [t.id, t.priority]), [[2, "normal"], [1, "high"]]);
  assert.deepEqual(r.added, [2]);
  // A page reload that overlaps the live rows adds nothing twice.
  const again = mergeTickets(r.rows, [tk(2), tk(1, { version: 3 })], open);
  assert.deepEqual(again.rows.map((t) => t.id), [2, 1]);
  assert.deepEqual(again.added, []);
});

test("holdNew keeps arrivals out of view but updates visible rows", () => {
  const visible = [tk(2), tk(1)];
  const r = holdNew(visible, [], [tk(3), tk(1, { priority: "urgent", version: 2 })], open);
  assert.deepEqual(r.visible.map((t) => t.id), [2, 1]);
  assert.equal(r.visible[1].priority, "urgent");
  assert.deepEqual(r.held.map((t) => t.id), [3]);
  const r2 = holdNew(r.visible, r.held, [tk(3, { status: "closed", version: 2 })], open);
  assert.deepEqual(r2.held, []);
});

test("ticketOf accepts a ticket or {ticket}, else null", () => {
  assert.equal(ticketOf({ id: 1, type: "ticket.created", data: tk(9) })!.id, 9);
  assert.equal(ticketOf({ id: 1, type: "ticket.created", data: { ticket: tk(8) } })!.id, 8);
  assert.equal(ticketOf({ id: 1, type: "message.created", data: { text: "x" } }), null);
  assert.equal(ticketOf({ id: 1, type: "presence" }), null);
});
