// The live stream: one websocket per tab, reconnecting with ?since=<last
// id> so that nothing is lost, and an EventCursor so nothing is doubled.

import { EventCursor, resumeURL } from "./events";
import type { StreamEvent } from "./types";

/** Listener receives each new event once. */
export type Listener = (ev: StreamEvent) => void;

/** Stream keeps a websocket to /api/v1/stream open. */
export class Stream {
  readonly cursor = new EventCursor();
  online = false;
  private ws: WebSocket | null = null;
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(online: boolean) => void>();
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private queue: string[] = [];

  constructor(private path = "/api/v1/stream") {}

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  /** on subscribes to events; it returns the unsubscribe function. */
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** onState subscribes to online/offline changes. */
  onState(l: (online: boolean) => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  /** send writes a frame, or queues the latest presence until online. */
  send(msg: unknown) {
    const s = JSON.stringify(msg);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(s);
    else this.queue = [s];
  }

  private connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const url = proto + "//" + location.host + resumeURL(this.path, this.cursor.last);
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.setOnline(true);
      for (const s of this.queue) ws.send(s);
      this.queue = [];
    };
    ws.onmessage = (m) => {
      let ev: StreamEvent;
      try {
        ev = JSON.parse(m.data);
      } catch {
        return;
      }
      if (!ev || typeof ev.type !== "string" || !this.cursor.accept(ev)) return;
      for (const l of this.listeners) l(ev);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setOnline(false);
      this.schedule();
    };
    ws.onerror = () => ws.close();
  }

  private schedule() {
    if (this.stopped) return;
    // 0.5 s, 1 s, 2 s … capped at 15 s, with jitter so a restarted server
    // is not hit by every tab at once.
    const delay = Math.min(15000, 500 * 2 ** this.retry) * (0.75 + Math.random() * 0.5);
    this.retry++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private setOnline(v: boolean) {
    if (this.online === v) return;
    this.online = v;
    for (const l of this.stateListeners) l(v);
  }
}
