// The composer: reply or internal note, with the platform's character
// counter, canned answers after "/", similar past answers, a warning when
// a public comment holds personal data, and a confirmation when someone
// else replied meanwhile (409).

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, ApiError, items } from "../api";
import { count, limitFor } from "../count";
import { useApp } from "../ctx";
import { Dialog } from "../dialog";
import { fill } from "../format";
import { findPII } from "../pii";
import type { CannedAnswer, SimilarTicket, TicketDetail } from "../types";

/** cannedQuery returns the "/abc" being typed before the caret, or null. */
export function cannedQuery(text: string, caret: number): { start: number; q: string } | null {
  const m = /(?:^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(text.slice(0, caret));
  if (!m) return null;
  return { start: caret - m[1].length - 1, q: m[1].toLowerCase() };
}

export function Composer({ d, mode, setMode, onSent }: { d: TicketDetail; mode: "reply" | "note"; setMode: (m: "reply" | "note") => void; onSent: () => void }) {
  const { t, stream } = useApp();
  const [text, setText] = useState("");
  const [caret, setCaret] = useState(0);
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const [canned, setCanned] = useState<CannedAnswer[]>([]);
  const [similar, setSimilar] = useState<SimilarTicket[] | null>(null);
  const [sel, setSel] = useState(0);
  const ta = useRef<HTMLTextAreaElement>(null);
  const lastTyping = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => {
    api<any>("GET", "/canned").then((c) => setCanned(items<CannedAnswer>(c)), () => {});
    api<any>("GET", `/tickets/${d.id}/similar`).then((s) => setSimilar(items<SimilarTicket>(s)), () => setSimilar([]));
  }, [d.id]);

  // The ticket detail carries its channel's capabilities (the instance's
  // real limit); without them the built-in platform table applies.
  const caps = d.channel?.capabilities;
  const limit = useMemo(() => limitFor(d.platform, d.kind, caps), [d.platform, d.kind, caps?.max_reply_length, caps?.url_length]);
  const c = count(text, limit);
  const vars = { name: d.contact?.name ?? "", nummer: d.number };
  const pii = useMemo(() => {
    if (d.kind !== "comment") return [];
    return (d.messages ?? []).filter((m) => m.direction === "in").flatMap((m) => findPII(m.text));
  }, [d.messages, d.kind]);

  const cq = mode === "reply" || mode === "note" ? cannedQuery(text, caret) : null;
  const matches = cq ? canned.filter((a) => a.shortcut.toLowerCase().startsWith(cq.q) || a.title.toLowerCase().includes(cq.q)).slice(0, 8) : [];

  const insert = (body: string, replaceFrom?: number) => {
    const from = replaceFrom ?? caret;
    const filled = fill(body, vars);
    const next = text.slice(0, from) + filled + text.slice(caret);
    setText(next);
    const pos = from + filled.length;
    setCaret(pos);
    setTimeout(() => {
      ta.current?.focus();
      ta.current?.setSelectionRange(pos, pos);
    }, 0);
  };

  const typing = () => {
    const now = Date.now();
    if (now - lastTyping.current > 2000) {
      stream.send({ type: "presence", ticket_id: d.id, state: "typing" });
      lastTyping.current = now;
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(() => {
      stream.send({ type: "presence", ticket_id: d.id, state: "viewing" });
      lastTyping.current = 0;
    }, 5000);
  };
  useEffect(() => () => clearTimeout(idleTimer.current), []);

  const send = async (confirmed = false) => {
    setErr("");
    setBusy(true);
    try {
      if (mode === "note") await api("POST", `/tickets/${d.id}/notes`, { text });
      else await api("POST", `/tickets/${d.id}/replies`, { text, confirm: confirmed });
      setText("");
      setCaret(0);
      setConfirm(false);
      onSent();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && mode === "reply") setConfirm(true);
      else setErr((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (matches.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setSel((s) => (s + (e.key === "ArrowDown" ? 1 : -1) + matches.length) % matches.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        insert(matches[Math.min(sel, matches.length - 1)].text, cq!.start);
        return;
      }
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && text.trim() && !c.over) {
      e.preventDefault();
      send();
    }
    if (e.key === "Escape") {
      e.stopPropagation();
      ta.current?.blur();
    }
  };

  const counterText = c.max ? t("counter", { used: c.used, max: c.max }) : t("counterFree", { used: c.used });
  const reuse = (answer: string) => {
    setText(answer);
    setCaret(answer.length);
    ta.current?.focus();
    setTimeout(() => ta.current?.setSelectionRange(answer.length, answer.length), 0);
  };
  return (
    <div class={"composer-wrap" + (mode === "reply" ? " with-similar" : "")}>
      {pii.length && mode === "reply" ? (
        <div class="warning" role="note" id="pii-warning">
          <strong>{t("piiWarning")}</strong> {[...new Set(pii.map((f) => t(`pii_${f.kind}`)))].join(", ")}. {t("piiAdvice")}
        </div>
      ) : null}
      <form class="composer" onSubmit={(e) => { e.preventDefault(); send(); }} aria-label={mode === "reply" ? t("composer") : t("composerNote")}>
        <div class="tabs" role="group" aria-label={t("actions")}>
          <button type="button" aria-pressed={mode === "reply"} onClick={() => setMode("reply")} aria-keyshortcuts="r">{t("modeReply")} <kbd aria-hidden="true">r</kbd></button>
          <button type="button" aria-pressed={mode === "note"} onClick={() => setMode("note")} aria-keyshortcuts="n">{t("modeNote")} <kbd aria-hidden="true">n</kbd></button>
          {mode === "reply" ? <span class="muted">{d.kind === "comment" ? t("publicReply") : t("privateReply")}</span> : null}
        </div>
        <label for="composer-text" class="sr">{mode === "reply" ? t("composer") : t("composerNote")}</label>
        <textarea
          id="composer-text"
          ref={ta}
          value={text}
          aria-describedby="composer-counter composer-hint"
          aria-invalid={c.over || err ? "true" : undefined}
          // A textarea may not take the combobox role (ARIA 1.2); as a
          // textbox it still points at the canned-answer list and its
          // current option.
          aria-controls={matches.length ? "canned-list" : undefined}
          aria-autocomplete="list"
          aria-activedescendant={matches.length ? `canned-${matches[Math.min(sel, matches.length - 1)].id}` : undefined}
          onInput={(e) => {
            setText(e.currentTarget.value);
            setCaret(e.currentTarget.selectionStart ?? e.currentTarget.value.length);
            setSel(0);
            typing();
          }}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
        />
        {matches.length ? (
          <ul class="canned-list" role="listbox" id="canned-list" aria-label={t("canned")}>
            {matches.map((a, i) => (
              <li role="option" id={`canned-${a.id}`} key={a.id} aria-selected={i === sel} onMouseDown={(e) => { e.preventDefault(); insert(a.text, cq!.start); }}>
                <strong>/{a.shortcut}</strong> – {a.title}
              </li>
            ))}
          </ul>
        ) : null}
        <div class="bar">
          {mode === "reply" ? (
            <span id="composer-counter" class={"counter" + (c.over ? " over" : "")} aria-live={c.over ? "assertive" : "off"}>
              {counterText}
              {c.over ? " – " + t("tooLong", { n: c.used - c.max }) : ""}
            </span>
          ) : <span id="composer-counter" />}
          <span id="composer-hint" class="muted">{t("cannedHint")}</span>
          <button type="submit" class="primary" disabled={busy || !text.trim() || (mode === "reply" && c.over)}>
            {mode === "reply" ? t("send") : t("saveNote")}
          </button>
        </div>
        {err ? <p class="error" role="alert">{err}</p> : null}
      </form>
      {mode === "reply" ? (
        <section class="similar" aria-labelledby="similar-h">
          <h2 id="similar-h">{t("similar")}</h2>
          {similar === null ? <p>{t("loading")}</p> : !similar.length ? <p class="muted">{t("noSimilar")}</p> : (
            <ul>
              {similar.slice(0, 3).map((s) => (
                <li key={s.ticket_id}>
                  <a href={"#/tickets/" + s.ticket_id}>{s.number}</a>: <span class="muted">{s.question.slice(0, 100)}</span>
                  <p class="answer">{s.answer.length > 240 ? s.answer.slice(0, 240) + "…" : s.answer}</p>
                  <button type="button" onClick={() => reuse(s.answer)}>
                    {t("reuse")}<span class="sr"> ({s.number})</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
      <Dialog open={confirm} title={t("confirmTitle")} onClose={() => setConfirm(false)}>
        <p>{t("confirmText")}</p>
        <p>
          <button type="button" class="primary" onClick={() => send(true)}>{t("confirmSend")}</button>{" "}
          <button type="button" onClick={() => setConfirm(false)}>{t("cancel")}</button>
        </p>
      </Dialog>
    </div>
  );
}
