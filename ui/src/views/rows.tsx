// One ticket row, shared by the inbox and the department view.

import type { RefObject } from "preact";
import { useEffect } from "preact/hooks";
import { deptName, isTyping, useApp } from "../ctx";
import { ageText, sla } from "../format";
import { Icon, PlatformIcon } from "../icons";
import { href } from "../router";
import type { Ticket } from "../types";

export function TicketRow({ tk, now }: { tk: Ticket; now: number }) {
  const ctx = useApp();
  const { t } = ctx;
  const s = sla(tk.created_at, tk.priority, now);
  const slaLabel = t(s === "late" ? "slaLate" : s === "warn" ? "slaWarn" : "slaOk");
  const text = tk.preview || tk.subject || "";
  return (
    <tr class={"row" + (tk.unread ? " unread" : "") + " sla-" + s} data-id={tk.id}>
      <td class="src">
        <PlatformIcon platform={tk.platform} t={t} />
        <Icon name={tk.kind} label={t(("kind_" + tk.kind) as any)} cls="kind" />
      </td>
      <td class="num">
        <a href={href("/tickets/" + tk.id)} class="open">
          {tk.number}
          {tk.unread ? <span class="sr"> ({t("unread")})</span> : null}
        </a>
        {tk.priority === "high" || tk.priority === "urgent" ? (
          <span class={"prio prio-" + tk.priority}>{t(("pr_" + tk.priority) as any)}</span>
        ) : null}
      </td>
      <td class="text">
        <span class="preview">{text.length > 140 ? text.slice(0, 140) + "…" : text}</span>
        {tk.tags && tk.tags.length ? (
          <span class="tags">{tk.tags.map((g) => <span class="tag" key={g}>{g}</span>)}</span>
        ) : null}
      </td>
      <td class="dept">{deptName(ctx, tk.department)}</td>
      <td class="who">{tk.assignee || <span class="muted">{t("unassignedShort")}</span>}</td>
      <td class={"age sla sla-" + s}>
        <Icon name={s === "ok" ? "check" : s === "warn" ? "clock" : "warn"} />
        <span>{ageText(tk.created_at, now, t)}</span>
        <span class="sla-text">{slaLabel}</span>
      </td>
    </tr>
  );
}

export function TicketTable({ rows, now, label }: { rows: Ticket[]; now: number; label: string }) {
  const { t } = useApp();
  return (
    <table class="tickets" aria-label={label}>
      <thead>
        <tr>
          <th scope="col"><span class="sr">{t("platform")}</span></th>
          <th scope="col">{t("colTicket")}</th>
          <th scope="col">{t("colText")}</th>
          <th scope="col">{t("department")}</th>
          <th scope="col">{t("assignee")}</th>
          <th scope="col">{t("age")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((tk) => <TicketRow tk={tk} now={now} key={tk.id} />)}
      </tbody>
    </table>
  );
}

/** moveFocus implements j/k over the rows' links inside root. */
export function moveFocus(root: HTMLElement | null, dir: 1 | -1) {
  if (!root) return;
  const links = [...root.querySelectorAll<HTMLAnchorElement>("a.open")];
  if (!links.length) return;
  const i = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = i < 0 ? (dir > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, i + dir));
  links[next].focus();
  links[next].closest("tr")?.scrollIntoView({ block: "nearest" });
}

/**
 * useListKeys makes j and k move through the rows' links inside root, as
 * in the inbox, department view and search results.
 */
export function useListKeys(root: RefObject<HTMLElement>) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(document.activeElement) || document.querySelector("dialog[open]")) return;
      if (e.key === "j") moveFocus(root.current, 1);
      else if (e.key === "k") moveFocus(root.current, -1);
      else return;
      e.preventDefault();
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, []);
}
