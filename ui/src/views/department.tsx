// The department view: tickets routed to my departments, with counts by
// status and age.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, qs } from "../api";
import { deptName, useApp } from "../ctx";
import type { Ticket, TicketPage } from "../types";
import { TicketTable, useListKeys } from "./rows";

const day = 86400000;

export function DepartmentView() {
  const ctx = useApp();
  const { t, user } = ctx;
  const depts = user.departments ?? [];
  const [dept, setDept] = useState(depts[0] ?? "");
  const [rows, setRows] = useState<Ticket[] | null>(null);
  const now = Date.now();
  const listRef = useRef<HTMLDivElement>(null);
  useListKeys(listRef);
  useEffect(() => {
    if (!dept) return;
    const load = () =>
      api<TicketPage>("GET", "/tickets" + qs({ department: dept, status: "new,open,waiting", limit: 100 })).then((p) => setRows(p.items ?? []), () => setRows([]));
    load();
    return ctx.stream.on((ev) => {
      if (ev.type.startsWith("ticket.")) load();
    });
  }, [dept]);
  const counts = useMemo(() => {
    const byStatus: Record<string, number> = { new: 0, open: 0, waiting: 0 };
    const byAge = [0, 0, 0, 0];
    for (const r of rows ?? []) {
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      const age = now - Date.parse(r.created_at);
      byAge[age < day ? 0 : age < 3 * day ? 1 : age < 7 * day ? 2 : 3]++;
    }
    return { byStatus, byAge };
  }, [rows]);
  return (
    <section aria-labelledby="dept-h">
      <h1 id="dept-h" tabIndex={-1}>{t("deptTitle")}</h1>
      {depts.length > 1 ? (
        <div class="field">
          <label for="dept-sel">{t("department")}</label>
          <select id="dept-sel" value={dept} onChange={(e) => setDept(e.currentTarget.value)}>
            {depts.map((d) => <option key={d} value={d}>{deptName(ctx, d)}</option>)}
          </select>
        </div>
      ) : <p>{deptName(ctx, dept)}</p>}
      <div class="form-row">
        <table aria-label={t("counts")}>
          <caption>{t("counts")}</caption>
          <tbody>
            {Object.entries(counts.byStatus).map(([s, n]) => <tr key={s}><th scope="row">{t(("st_" + s) as any)}</th><td>{n}</td></tr>)}
          </tbody>
        </table>
        <table aria-label={t("ageBuckets")}>
          <caption>{t("ageBuckets")}</caption>
          <tbody>
            {(["lt1d", "lt3d", "lt7d", "gt7d"] as const).map((k, i) => <tr key={k}><th scope="row">{t(k)}</th><td>{counts.byAge[i]}</td></tr>)}
          </tbody>
        </table>
      </div>
      <div ref={listRef}>
        {rows === null ? <p role="status">{t("loading")}</p> : rows.length ? <TicketTable rows={rows} now={now} label={t("deptTitle")} /> : <p>{t("noTickets")}</p>}
      </div>
    </section>
  );
}
