// Merging live events into what is on screen. The stream can replay events
// after a reconnect (?since=last id) and the list can be reloaded while
// events arrive, so every step here is idempotent: an event id is applied
// once, and a ticket id occurs once in a list.

import type { StreamEvent, Ticket } from "./types";

/**
 * EventCursor remembers which events were applied. The stream delivers in
 * id order, but a resume may overlap what was already seen, and a page load
 * may race a live frame; ids at or below `last` are duplicates unless they
 * fill a gap that was noted as missing.
 */
export class EventCursor {
  last: number;
  // Ids below floor are judged duplicates: everything up to the starting
  // point, and ids forgotten by trim.
  private floor: number;
  private seen = new Set<number>();

  constructor(last = 0) {
    this.last = last;
    this.floor = last + 1;
  }

  /** accept reports whether ev is new, and records it. */
  accept(ev: { id: number }): boolean {
    if (!Number.isFinite(ev.id) || ev.id <= 0) return true; // presence: never stored, never replayed
    if (ev.id < this.floor || this.seen.has(ev.id)) return false;
    this.seen.add(ev.id);
    if (ev.id > this.last) this.last = ev.id;
    if (this.seen.size > 4096) this.trim();
    return true;
  }

  // Keeps the newest half of the ids; the older ones fall below floor.
  private trim() {
    const ids = [...this.seen].sort((a, b) => a - b);
    const keep = ids.slice(ids.length / 2);
    this.floor = keep[0];
    this.seen = new Set(keep);
  }
}

/** resumeURL is the stream URL that replays what came after last. */
export function resumeURL(base: string, last: number): string {
  return last > 0 ? `${base}?since=${last}` : base;
}

/** newestFirst orders tickets as the inbox shows them. */
export function newestFirst(a: Ticket, b: Ticket): number {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? 1 : -1;
  return b.id - a.id;
}

/**
 * mergeTickets upserts incoming tickets into rows: a known id is replaced
 * (unless the stored one has a higher version), a new one inserted; rows
 * that no longer match the view's filter leave. The result is sorted and
 * has each id once. `added` lists the ids that were not in rows before.
 */
export function mergeTickets(
  rows: Ticket[],
  incoming: Ticket[],
  matches: (t: Ticket) => boolean,
  order: (a: Ticket, b: Ticket) => number = newestFirst,
): { rows: Ticket[]; added: number[] } {
  const byId = new Map<number, Ticket>();
  for (const t of rows) if (!byId.has(t.id)) byId.set(t.id, t);
  const added: number[] = [];
  for (const t of incoming) {
    const old = byId.get(t.id);
    if (old && old.version > t.version) continue;
    if (!matches(t)) {
      byId.delete(t.id);
      continue;
    }
    if (!old) added.push(t.id);
    byId.set(t.id, old ? { ...old, ...t } : t);
  }
  return { rows: [...byId.values()].sort(order), added };
}

/** ticketOf returns the ticket an event carries, if its data holds one. */
export function ticketOf(ev: StreamEvent): Ticket | null {
  const d = ev.data;
  if (!d || typeof d !== "object") return null;
  const t = d.ticket ?? d;
  if (typeof t.id === "number" && typeof t.number === "string" && typeof t.status === "string") {
    return t as Ticket;
  }
  return null;
}

/** Buffer holds new rows that arrived while the user was reading. */
export interface Held {
  rows: Ticket[];
  held: number[]; // ids not yet shown
}

/**
 * holdNew splits a merge so that rows added while the user reads stay out
 * of view until released; updates to visible rows apply at once.
 */
export function holdNew(visible: Ticket[], held: Ticket[], incoming: Ticket[], matches: (t: Ticket) => boolean) {
  const visibleIds = new Set(visible.map((t) => t.id));
  const toVisible = incoming.filter((t) => visibleIds.has(t.id));
  const toHeld = incoming.filter((t) => !visibleIds.has(t.id));
  return {
    visible: mergeTickets(visible, toVisible, matches).rows,
    held: mergeTickets(held, toHeld, matches).rows,
  };
}
