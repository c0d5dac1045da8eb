// The inbox: tickets needing work, newest first, updated live. New tickets
// that arrive while the user reads are held behind a "n neue" button so
// that nothing moves under their eyes.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, qs } from "../api";
import { useApp, type AppCtx } from "../ctx";
import { holdNew, mergeTickets, ticketOf } from "../events";
import { go } from "../router";
import type { StreamEvent, Ticket, TicketPage } from "../types";
import { TicketTable, useListKeys } from "./rows";

const filterKeys = ["status", "department", "platform", "assignee", "tag", "mine", "unassigned"] as const;
type Filters = Partial<Record<(typeof filterKeys)[number], string>>;

const openStatuses = "new,open,waiting";
const platforms = ["mastodon", "email", "facebook", "instagram", "x", "bluesky", "telegram", "whatsapp", "youtube", "webform"];

function filtersOf(q: URLSearchParams): Filters {
  const f: Filters = {};
  for (const k of filterKeys) {
    const v = q.get(k);
    if (v) f[k] = v;
  }
  return f;
}

/** matcher says whether a ticket belongs in a view, for live events. */
export function matcher(f: Filters, me: { id: number; login: string }): (t: Ticket) => boolean {
  const statuses = (f.status || openStatuses).split(",");
  return (t) =>
    statuses.includes(t.status) &&
    !t.merged_into &&
    (!f.department || t.department === f.department) &&
    (!f.platform || t.platform === f.platform) &&
    (!f.assignee || t.assignee === f.assignee) &&
    (!f.tag || (t.tags ?? []).includes(f.tag)) &&
    (!f.mine || t.assignee_id === me.id || t.assignee === me.login) &&
    (!f.unassigned || (!t.assignee_id && !t.assignee));
}

/** ticketQuery is the list API query for filters. */
export function ticketQuery(f: Filters, cursor = "", limit = 50): string {
  return qs({
    status: f.status || openStatuses,
    department: f.department,
    platform: f.platform,
    assignee: f.assignee,
    tag: f.tag,
    mine: f.mine ? 1 : undefined,
    unassigned: f.unassigned ? 1 : undefined,
    cursor,
    limit,
  });
}

/**
 * useLiveTickets loads a filtered list and keeps it current from the
 * stream. A ticket named by an event is re-read from the API unless the
 * event carries it, so the list shows what the server has, and a ticket
 * that left the caller's scope (404) leaves the list.
 */
export function useLiveTickets(ctx: AppCtx, f: Filters, holding: () => boolean, onNew: (ts: Ticket[]) => void) {
  const [rows, setRows] = useState<Ticket[]>([]);
  const [held, setHeld] = useState<Ticket[]>([]);
  const [next, setNext] = useState("");
  const [state, setState] = useState<"loading" | "ok" | "error">("loading");
  const matches = useMemo(() => matcher(f, ctx.user), [JSON.stringify(f), ctx.user.id]);
  const rowsRef = useRef(rows);
  rowsRef.current = rows;
  const heldRef = useRef(held);
  heldRef.current = held;

  const load = async (cursor = "") => {
    if (!cursor) setState("loading");
    try {
      const p = await api<TicketPage>("GET", "/tickets" + ticketQuery(f, cursor));
      const items = p.items ?? [];
      setRows((r) => mergeTickets(cursor ? r : [], items, matches).rows);
      setNext(p.next ?? "");
      setState("ok");
    } catch {
      setState("error");
    }
  };

  useEffect(() => {
    setHeld([]);
    load();
  }, [matches]);

  useEffect(() => {
    const apply = (ts: Ticket[], gone: number[]) => {
      let visible = rowsRef.current.filter((t) => !gone.includes(t.id));
      let hold = heldRef.current.filter((t) => !gone.includes(t.id));
      const known = new Set([...visible, ...hold].map((t) => t.id));
      const fresh = ts.filter((t) => !known.has(t.id) && matches(t));
      if (holding()) {
        const r = holdNew(visible, hold, ts, matches);
        visible = r.visible;
        hold = r.held;
      } else {
        visible = mergeTickets(visible, ts, matches).rows;
      }
      setRows(visible);
      setHeld(hold);
      if (fresh.length) onNew(fresh);
    };
    return ctx.stream.on(async (ev: StreamEvent) => {
      if (!ev.ticket_id || !/^(ticket|message|reply)\./.test(ev.type)) return;
      let tk = ticketOf(ev);
      if (!tk) {
        try {
          tk = await api<Ticket>("GET", "/tickets/" + ev.ticket_id);
        } catch (e) {
          // Only "not found" means the ticket left the caller's scope; a
          // network error during a drop must not remove the row.
          if (e instanceof ApiError && e.status === 404) apply([], [ev.ticket_id]);
          return;
        }
      }
      apply([tk], []);
    });
  }, [matches]);

  const release = () => {
    setRows((r) => mergeTickets(r, heldRef.current, matches).rows);
    setHeld([]);
  };
  return { rows, held, next, state, load, release };
}

export function Inbox({ query }: { query: URLSearchParams }) {
  const ctx = useApp();
  const { t } = ctx;
  const f = filtersOf(query);
  const listRef = useRef<HTMLDivElement>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const i = setInterval(() => setNow(Date.now()), 60000);
    return () => clearInterval(i);
  }, []);
  const holding = () => {
    const el = listRef.current;
    return scrollY > 80 || !!(el && el.contains(document.activeElement) && document.activeElement !== el.querySelector("a.open"));
  };
  const onNew = (ts: Ticket[]) => ctx.announce(t("announceNew", { n: ts.length, first: ts[0].number + " " + (ts[0].preview ?? "").slice(0, 60) }));
  const { rows, held, next, state, load, release } = useLiveTickets(ctx, f, holding, onNew);

  useListKeys(listRef);

  const showHeld = () => {
    release();
    scrollTo({ top: 0 });
    setTimeout(() => listRef.current?.querySelector<HTMLElement>("a.open")?.focus(), 0);
  };

  return (
    <section aria-labelledby="inbox-h">
      <h1 id="inbox-h" tabIndex={-1}>{t("inboxTitle")}</h1>
      <p class="hint">{t("shortcutsHint")}</p>
      <FilterBar f={f} />
      {held.length ? (
        <button type="button" class="new-items" onClick={showHeld}>
          {t("newItems", { n: held.length })}
        </button>
      ) : null}
      <div ref={listRef} class="list">
        {state === "loading" && !rows.length ? <p role="status">{t("loading")}</p> : null}
        {state === "error" ? (
          <p class="error" role="alert">{t("error")} <button type="button" onClick={() => load()}>{t("retry")}</button></p>
        ) : null}
        {state === "ok" && !rows.length ? <p>{t("noTickets")}</p> : null}
        {rows.length ? <TicketTable rows={rows} now={now} label={t("ticketList")} /> : null}
      </div>
      {next ? <button type="button" class="more" onClick={() => load(next)}>{t("more")}</button> : null}
    </section>
  );
}

interface SavedView {
  name: string;
  query: string;
}

const viewsKey = "anliegen.views";

function loadViews(): SavedView[] {
  try {
    return JSON.parse(localStorage.getItem(viewsKey) ?? "[]");
  } catch {
    return [];
  }
}

function FilterBar({ f }: { f: Filters }) {
  const ctx = useApp();
  const { t } = ctx;
  const [views, setViews] = useState(loadViews);
  const [name, setName] = useState("");
  const set = (k: keyof Filters, v: string) => {
    const q: Record<string, string> = { ...(f as Record<string, string>) };
    if (v) q[k] = v;
    else delete q[k];
    go("/", q);
  };
  const current = new URLSearchParams(f as Record<string, string>).toString();
  const save = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return;
    const v = [...views.filter((x) => x.name !== name.trim()), { name: name.trim(), query: current }];
    localStorage.setItem(viewsKey, JSON.stringify(v));
    setViews(v);
    setName("");
  };
  const remove = (n: string) => {
    const v = views.filter((x) => x.name !== n);
    localStorage.setItem(viewsKey, JSON.stringify(v));
    setViews(v);
  };
  const sel = (k: keyof Filters, label: string, opts: [string, string][]) => (
    <div class="field">
      <label for={"f-" + k}>{label}</label>
      <select id={"f-" + k} value={f[k] ?? ""} onChange={(e) => set(k, e.currentTarget.value)}>
        <option value="">{k === "status" ? t("openStatuses") : t("any")}</option>
        {opts.map(([v, l]) => <option value={v} key={v}>{l}</option>)}
      </select>
    </div>
  );
  return (
    <div class="filters" role="search" aria-label={t("filters")}>
      {sel("status", t("status"), (["new", "open", "waiting", "resolved", "closed"] as const).map((s) => [s, t(`st_${s}`)]))}
      {sel("department", t("department"), ctx.departments.map((d) => [d.id, d.name]))}
      {sel("platform", t("platform"), platforms.map((p) => [p, t(("pf_" + p) as any)]))}
      <div class="field">
        <label for="f-tag">{t("tag")}</label>
        <input id="f-tag" size={10} value={f.tag ?? ""} onChange={(e) => set("tag", e.currentTarget.value.trim())} />
      </div>
      <div class="field check">
        <input type="checkbox" id="f-mine" checked={!!f.mine} onChange={(e) => set("mine", e.currentTarget.checked ? "1" : "")} />
        <label for="f-mine">{t("mine")}</label>
      </div>
      <div class="field check">
        <input type="checkbox" id="f-unassigned" checked={!!f.unassigned} onChange={(e) => set("unassigned", e.currentTarget.checked ? "1" : "")} />
        <label for="f-unassigned">{t("unassigned")}</label>
      </div>
      <details class="views">
        <summary>{t("savedViews")}</summary>
        <ul>
          {views.map((v) => (
            <li key={v.name}>
              <a href={"#/?" + v.query}>{v.name}</a>{" "}
              <button type="button" class="link" aria-label={t("deleteView", { name: v.name })} onClick={() => remove(v.name)}>×</button>
            </li>
          ))}
        </ul>
        <form onSubmit={save}>
          <label for="view-name">{t("viewName")}</label>
          <input id="view-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit">{t("saveView")}</button>
        </form>
      </details>
    </div>
  );
}
