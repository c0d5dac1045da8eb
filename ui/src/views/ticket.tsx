// The ticket: conversation, contact, history, presence and actions.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, items } from "../api";
import { deptName, isTyping, useApp, type AppCtx } from "../ctx";
import { Dialog } from "../dialog";
import { dateTime } from "../format";
import { Icon, PlatformIcon } from "../icons";
import { go, href } from "../router";
import type { Contact, Message, Staff, Status, Ticket, TicketDetail, TicketEvent } from "../types";
import { Composer } from "./composer";

interface Presence {
  login: string;
  name: string;
  state: string;
}

export function TicketView({ id }: { id: number }) {
  const ctx = useApp();
  const { t, stream } = ctx;
  const [d, setD] = useState<TicketDetail | null>(null);
  const [err, setErr] = useState("");
  const [notice, setNotice] = useState("");
  const [presence, setPresence] = useState<Record<string, Presence>>({});
  const [mode, setMode] = useState<"reply" | "note">("reply");
  const [users, setUsers] = useState<Staff[]>([]);
  const reloadTimer = useRef<ReturnType<typeof setTimeout>>();

  const load = async () => {
    try {
      setD(await api<TicketDetail>("GET", "/tickets/" + id));
      setErr("");
    } catch (e) {
      setErr(e instanceof ApiError && e.status === 404 ? "404" : (e as Error).message);
    }
  };
  useEffect(() => {
    load().then(() => api("POST", `/tickets/${id}/read`).catch(() => {}));
    // The staff directory is readable by everyone (GET /users is for
    // admins), so agents and departments can assign to colleagues.
    api<any>("GET", "/staff").then((u) => setUsers(items<Staff>(u)), () => {});
    stream.send({ type: "presence", ticket_id: id, state: "viewing" });
    const off = stream.on((ev) => {
      if (ev.ticket_id !== id) return;
      if (ev.type === "presence") {
        const p = ev.data as { login: string; name: string; state: string };
        if (!p || p.login === ctx.user.login) return;
        setPresence((m) => {
          const n = { ...m };
          if (p.state === "left") delete n[p.login];
          else n[p.login] = p;
          return n;
        });
        return;
      }
      // Several events come in a burst (reply + ticket.updated): reload once.
      clearTimeout(reloadTimer.current);
      reloadTimer.current = setTimeout(load, 150);
    });
    return () => {
      off();
      clearTimeout(reloadTimer.current);
      stream.send({ type: "presence", ticket_id: id, state: "left" });
    };
  }, [id]);

  const patch = async (body: Record<string, unknown>) => {
    if (!d) return;
    setNotice("");
    try {
      const tk = await api<Ticket>("PATCH", "/tickets/" + id, { ...body, version: d.version });
      setD({ ...d, ...tk });
      load();
      setNotice(t("saved"));
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        await load();
        setNotice(t("conflict"));
      } else setNotice((e as Error).message);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(document.activeElement) || document.querySelector("dialog[open]")) return;
      const focus = (sel: string) => document.querySelector<HTMLElement>(sel)?.focus();
      switch (e.key) {
        case "r":
          setMode("reply");
          setTimeout(() => focus("#composer-text"), 0);
          break;
        case "n":
          setMode("note");
          setTimeout(() => focus("#composer-text"), 0);
          break;
        case "t":
          focus("#act-tags");
          break;
        case "d":
          focus("#act-dept");
          break;
        case "a":
          focus("#act-assign");
          break;
        case "e":
          patch({ status: "resolved" });
          break;
        case "Escape":
          go("/");
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [d]);

  if (err === "404") return <section><h1 tabIndex={-1}>404</h1><a href={href("/")}>{t("back")}</a></section>;
  if (err) return <p class="error" role="alert">{err}</p>;
  if (!d) return <p role="status">{t("loading")}</p>;

  const others = Object.values(presence);
  return (
    <article class="ticket" aria-labelledby="ticket-h">
      <p><a href={href("/")}>← {t("back")}</a></p>
      <div class="ticket-head">
        <h1 id="ticket-h" tabIndex={-1}>
          <PlatformIcon platform={d.platform} t={t} /> {d.number}
          {d.subject ? <span class="subject"> – {d.subject}</span> : null}
        </h1>
        <span class="meta">
          {t(("kind_" + d.kind) as any)} · {t(("st_" + d.status) as any)} · {t(("pr_" + d.priority) as any)} · {deptName(ctx, d.department)}
        </span>
      </div>
      <div aria-live="polite" class="presence">
        {others.map((p) => (
          <p key={p.login}>{t(p.state === "typing" ? "presenceTyping" : "presenceViewing", { who: p.name || p.login })}</p>
        ))}
      </div>
      <Actions d={d} users={users} patch={patch} />
      <p role="status" class="notice">{notice}</p>
      <div class="ticket-grid">
        <div>
          <h2>{t("conversation")}</h2>
          <ol class="msgs">
            {(d.messages ?? []).map((m) => <MessageItem m={m} key={m.id} ticketId={id} onChange={load} />)}
          </ol>
          <Composer d={d} mode={mode} setMode={setMode} onSent={load} />
        </div>
        <aside class="side" aria-label={t("contact")}>
          <ContactBox contact={d.contact} current={id} />
          <History events={d.events ?? []} users={users} />
        </aside>
      </div>
    </article>
  );
}

function MessageItem({ m, ticketId, onChange }: { m: Message; ticketId: number; onChange: () => void }) {
  const { t, loc } = useApp();
  const [err, setErr] = useState("");
  const label = m.direction === "in" ? t("inbound") : m.direction === "out" ? t("outbound") : t("note");
  const retry = async () => {
    try {
      await api("POST", `/tickets/${ticketId}/replies/${m.id}/retry`);
      onChange();
    } catch (e) {
      setErr((e as Error).message);
    }
  };
  return (
    <li class={`msg ${m.direction}` + (m.deleted ? " deleted" : "")} data-id={m.id}>
      <header>
        <span class="dir">{label}</span>
        <span>{m.author}</span>
        <time dateTime={m.created_at}>{dateTime(m.created_at, loc)}</time>
        {m.edited ? <span>({t("edited")})</span> : null}
        {m.deleted ? <span>({t("deleted")})</span> : null}
        {m.direction === "out" && m.delivery_state ? (
          <span class={"state state-" + m.delivery_state} data-state={m.delivery_state}>
            <Icon name={m.delivery_state === "sent" ? "check" : m.delivery_state === "failed" ? "warn" : "clock"} />{" "}
            {t(m.delivery_state)}
          </span>
        ) : null}
      </header>
      {/* html is sanitized by the server (invariant 6); nothing else is ever rendered as markup. */}
      {m.html ? <div class="body html" dangerouslySetInnerHTML={{ __html: m.html }} /> : <div class="body">{m.text}</div>}
      {m.delivery_state === "failed" ? (
        <p class="error">
          {t("failedReason", { reason: m.error || "?" })}{" "}
          <button type="button" onClick={retry}>{t("retrySend")}</button>
          {err ? <span role="alert"> {err}</span> : null}
        </p>
      ) : null}
    </li>
  );
}

function Actions({ d, users, patch }: { d: TicketDetail; users: Staff[]; patch: (b: Record<string, unknown>) => void }) {
  const ctx = useApp();
  const { t, user } = ctx;
  const [tags, setTags] = useState((d.tags ?? []).join(", "));
  const [merge, setMerge] = useState(false);
  const [into, setInto] = useState("");
  const [back, setBack] = useState(false);
  const [reason, setReason] = useState("");
  const [err, setErr] = useState("");
  useEffect(() => setTags((d.tags ?? []).join(", ")), [d.version]);
  const saveTags = (e: Event) => {
    e.preventDefault();
    const list = tags.split(",").map((s) => s.trim()).filter(Boolean);
    patch({ tags: list });
  };
  const doMerge = async (e: Event) => {
    e.preventDefault();
    setErr("");
    try {
      await api("POST", `/tickets/${d.id}/merge`, { into: Number(into) });
      setMerge(false);
      go("/tickets/" + Number(into));
    } catch (x) {
      setErr((x as Error).message);
    }
  };
  const sendBack = (e: Event) => {
    e.preventDefault();
    patch({ department: "", note: reason });
    setBack(false);
    setReason("");
  };
  const isDept = user.role === "department";
  return (
    <div class="actions" role="group" aria-label={t("actions")}>
      <SelectAction id="act-status" label={t("status")} value={d.status} onApply={(v) => patch({ status: v as Status })}
        options={(["new", "open", "waiting", "resolved", "closed"] as const).map((s) => [s, t(`st_${s}`)])} />
      <SelectAction id="act-prio" label={t("priority")} value={d.priority} onApply={(v) => patch({ priority: v })}
        options={(["low", "normal", "high", "urgent"] as const).map((p) => [p, t(`pr_${p}`)])} />
      {!isDept ? (
        <SelectAction id="act-dept" label={t("route")} shortcut="d" value={d.department} onApply={(v) => patch({ department: v })}
          options={[["", t("unrouted")], ...ctx.departments.map((x): [string, string] => [x.id, x.name])]} />
      ) : null}
      <SelectAction id="act-assign" label={t("assign")} shortcut="a" value={String(d.assignee_id ?? 0)} onApply={(v) => patch({ assignee_id: Number(v) })}
        options={[
          ["0", t("unassignedShort")],
          ...(users.length ? users : [user]).map((u): [string, string] => [String(u.id), `${u.name} (${u.login})`]),
          ...(d.assignee_id && !users.some((u) => u.id === d.assignee_id) && d.assignee_id !== user.id ? [[String(d.assignee_id), d.assignee] as [string, string]] : []),
        ]} />
      <form class="field" onSubmit={saveTags}>
        <label for="act-tags">{t("tags")} <kbd aria-hidden="true">t</kbd></label>
        <span>
          <input id="act-tags" aria-keyshortcuts="t" value={tags} aria-describedby="tags-hint" onInput={(e) => setTags(e.currentTarget.value)} />
          <button type="submit">{t("save")}</button>
        </span>
        <span id="tags-hint" class="sr">{t("tagsHint")}</span>
      </form>
      <div class="field">
        <span aria-hidden="true">&nbsp;</span>
        <span>
          <button type="button" aria-keyshortcuts="e" onClick={() => patch({ status: "resolved" })}>
            <Icon name="check" /> {t("resolve")} <kbd aria-hidden="true">e</kbd>
          </button>{" "}
          {d.assignee_id !== user.id ? <button type="button" onClick={() => patch({ assignee_id: user.id })}>{t("assignMe")}</button> : null}{" "}
          {user.role !== "department" ? <button type="button" onClick={() => setMerge(true)}>{t("merge")}</button> : null}{" "}
          {d.department && (isDept || user.role === "admin") ? <button type="button" onClick={() => setBack(true)}>{t("sendBack")}</button> : null}
        </span>
      </div>
      <Dialog open={merge} title={t("merge")} onClose={() => setMerge(false)}>
        <form onSubmit={doMerge}>
          <label for="merge-into">{t("mergeInto")}</label>{" "}
          <input id="merge-into" inputMode="numeric" required value={into} onInput={(e) => setInto(e.currentTarget.value)} />
          {err ? <p class="error" role="alert">{err}</p> : null}
          <p>
            <button type="submit" class="primary">{t("mergeButton")}</button>{" "}
            <button type="button" onClick={() => setMerge(false)}>{t("cancel")}</button>
          </p>
        </form>
      </Dialog>
      <Dialog open={back} title={t("sendBack")} onClose={() => setBack(false)}>
        <form onSubmit={sendBack}>
          <label for="back-reason">{t("sendBackReason")}</label>
          <textarea id="back-reason" required rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <p>
            <button type="submit" class="primary">{t("sendBack")}</button>{" "}
            <button type="button" onClick={() => setBack(false)}>{t("cancel")}</button>
          </p>
        </form>
      </Dialog>
    </div>
  );
}

function ContactBox({ contact, current }: { contact?: Contact; current: number }) {
  const { t } = useApp();
  const [tickets, setTickets] = useState<Ticket[]>([]);
  useEffect(() => {
    if (!contact?.id) return;
    api<{ tickets: Ticket[] | null }>("GET", "/contacts/" + contact.id).then((r) => setTickets(r?.tickets ?? []), () => {});
  }, [contact?.id]);
  if (!contact) return null;
  const other = tickets.filter((x) => x.id !== current);
  return (
    <section aria-labelledby="contact-h">
      <h2 id="contact-h">{t("contact")}</h2>
      <p><strong>{contact.name}</strong></p>
      <ul>
        {(contact.identities ?? []).map((i) => (
          <li key={i.id}>{t(("pf_" + i.platform) as any)}: {i.handle || i.name}</li>
        ))}
      </ul>
      {other.length ? (
        <>
          <h3>{t("otherTickets")}</h3>
          <ul>
            {other.map((x) => (
              <li key={x.id}><a href={href("/tickets/" + x.id)}>{x.number}</a> – {t(("st_" + x.status) as any)}: {(x.subject || x.preview || "").slice(0, 60)}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** eventText turns a history event into a sentence. */
export function eventText(ctx: AppCtx, e: TicketEvent, users: Staff[]): string {
  const { t } = ctx;
  const data = e.data ?? {};
  switch (e.type) {
    case "ticket.created":
      return e.department ? t("ev_routed", { dept: deptName(ctx, e.department), rule: data.rule_name }) : t("ev_created");
    case "ticket.updated": {
      const ch = data.changes ?? {};
      const parts: string[] = [];
      if (ch.department) parts.push(ch.department.to ? t("ev_routed", { dept: deptName(ctx, ch.department.to) }) : t("ev_unrouted"));
      if (ch.assignee) parts.push(t("ev_assigned", { who: ch.assignee.to || t("unassignedShort") }));
      else if (ch.assignee_id) parts.push(t("ev_assigned", { who: users.find((u) => u.id === ch.assignee_id.to)?.name ?? String(ch.assignee_id.to || t("unassignedShort")) }));
      if (ch.status) parts.push(t("ev_status", { status: t(("st_" + ch.status.to) as any) }));
      if (ch.priority) parts.push(t("ev_priority", { priority: t(("pr_" + ch.priority.to) as any) }));
      if (ch.tags) parts.push(t("ev_tags", { tags: (ch.tags.to ?? []).join(", ") }));
      return parts.join("; ") || t("ev_other", { type: e.type });
    }
    case "message.created":
      return t("ev_message");
    case "reply.sent":
      return t("ev_sent");
    case "reply.failed":
      return t("ev_failed") + (data.error ? ": " + data.error : "");
    default:
      return t("ev_other", { type: e.type });
  }
}

function History({ events, users }: { events: TicketEvent[]; users: Staff[] }) {
  const ctx = useApp();
  const { t, loc } = ctx;
  const who = (id?: number) => (id ? users.find((u) => u.id === id)?.name ?? "#" + id : t("system"));
  return (
    <section aria-labelledby="hist-h">
      <h2 id="hist-h">{t("history")}</h2>
      <ol class="history">
        {events.map((e) => (
          <li key={e.id}>
            <time dateTime={e.created_at}>{dateTime(e.created_at, loc)}</time>: {eventText(ctx, e, users)}{" "}
            <span class="muted">{t("by", { who: who(e.actor_id) })}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * SelectAction is a select that acts only when applied (button or Enter):
 * acting on every change would fire one update per arrow key or typed
 * letter for keyboard users.
 */
function SelectAction({ id, label, value, options, onApply, shortcut }: { id: string; label: string; value: string; options: [string, string][]; onApply: (v: string) => void; shortcut?: string }) {
  const { t } = useApp();
  const [v, setV] = useState(value);
  useEffect(() => setV(value), [value]);
  // After applying, focus returns to the ticket heading: on a select,
  // letters are typeahead, so the one-key shortcuts would not work.
  const done = () => document.getElementById("ticket-h")?.focus();
  const apply = (e?: Event) => {
    e?.preventDefault();
    if (v !== value) onApply(v);
    done();
  };
  return (
    <form class="field" onSubmit={apply}>
      <label for={id}>{label} {shortcut ? <kbd aria-hidden="true">{shortcut}</kbd> : null}</label>
      <span>
        <select id={id} value={v} aria-keyshortcuts={shortcut} onChange={(e) => setV(e.currentTarget.value)}
          onKeyDown={(e) => { if (e.key === "Enter") { setV(e.currentTarget.value); e.preventDefault(); if (e.currentTarget.value !== value) onApply(e.currentTarget.value); done(); } }}>
          {options.map(([k, l]) => <option value={k} key={k}>{l}</option>)}
        </select>
        <button type="submit" disabled={v === value}>{t("apply")}<span class="sr"> {label}</span></button>
      </span>
    </form>
  );
}
