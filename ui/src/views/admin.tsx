// Administration: users, departments, routing rules with the dry-run
// tester, canned answers, channels with health and connection test, and
// statistics.

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, items } from "../api";
import { deptName, useApp } from "../ctx";
import { dateTime } from "../format";
import { PlatformIcon } from "../icons";
import { href } from "../router";
import type { CannedAnswer, Channel, Rule, User } from "../types";

const tabs = ["users", "departments", "rules", "canned", "channels", "stats"] as const;

export function Admin({ tab }: { tab: string }) {
  const { t, user } = useApp();
  if (user.role !== "admin") return <p role="alert">403</p>;
  const cur = (tabs as readonly string[]).includes(tab) ? tab : "users";
  const label = (k: string) => t((k === "canned" ? "canned" : k) as any);
  return (
    <section aria-labelledby="admin-h">
      <h1 id="admin-h" tabIndex={-1}>{t("adminTitle")}: {label(cur)}</h1>
      <nav aria-label={t("adminTitle")}>
        <ul class="admin-tabs">
          {tabs.map((k) => <li key={k}><a href={href("/admin/" + k)} aria-current={k === cur ? "page" : undefined}>{label(k)}</a></li>)}
        </ul>
      </nav>
      {cur === "users" ? <Users /> : cur === "departments" ? <Departments /> : cur === "rules" ? <Rules /> : cur === "canned" ? <Canned /> : cur === "channels" ? <Channels /> : <Stats />}
    </section>
  );
}

/** useList loads a list endpoint and offers reload. */
function useList<T>(path: string): [T[], () => void, string] {
  const [list, setList] = useState<T[]>([]);
  const [err, setErr] = useState("");
  const load = () => api<any>("GET", path).then((x) => { setList(items<T>(x)); setErr(""); }, (e) => setErr((e as Error).message));
  useEffect(() => { load(); }, [path]);
  return [list, load, err];
}

function Form({ onSubmit, children, title }: { onSubmit: () => Promise<unknown>; children: ComponentChildren; title: string }) {
  const { t } = useApp();
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setMsg(null);
    try {
      await onSubmit();
      setMsg({ ok: true, text: t("saved") });
    } catch (x) {
      const a = x as { field?: string; message: string };
      setMsg({ ok: false, text: (a.field ? a.field + ": " : "") + a.message });
    }
  };
  return (
    <form onSubmit={submit} aria-label={title}>
      <h2>{title}</h2>
      <div class="form-row">
        {children}
        <button type="submit" class="primary">{t("add")}</button>
      </div>
      {msg ? <p role={msg.ok ? "status" : "alert"} class={msg.ok ? "" : "error"}>{msg.text}</p> : null}
    </form>
  );
}

function Input({ id, label, value, set, type = "text", required = true }: { id: string; label: string; value: string; set: (v: string) => void; type?: string; required?: boolean }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type={type} required={required} value={value} onInput={(e) => set(e.currentTarget.value)} />
    </div>
  );
}

function Users() {
  const ctx = useApp();
  const { t } = ctx;
  const [list, reload, err] = useList<User>("/users");
  const [f, setF] = useState({ login: "", name: "", role: "agent", departments: "", password: "" });
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  return (
    <>
      {err ? <p class="error" role="alert">{err}</p> : null}
      <table>
        <caption class="sr">{t("users")}</caption>
        <thead><tr><th scope="col">{t("login")}</th><th scope="col">{t("name")}</th><th scope="col">{t("role")}</th><th scope="col">{t("departments")}</th></tr></thead>
        <tbody>
          {list.map((u) => (
            <tr key={u.id}><td>{u.login}</td><td>{u.name}</td><td>{t(("role_" + u.role) as any)}</td><td>{(u.departments ?? []).map((d) => deptName(ctx, d)).join(", ")}</td></tr>
          ))}
        </tbody>
      </table>
      <Form title={t("add") + ": " + t("users")} onSubmit={async () => {
        await api("POST", "/users", { ...f, departments: f.departments.split(",").map((s) => s.trim()).filter(Boolean) });
        setF({ login: "", name: "", role: "agent", departments: "", password: "" });
        reload();
      }}>
        <Input id="u-login" label={t("login")} value={f.login} set={set("login")} />
        <Input id="u-name" label={t("name")} value={f.name} set={set("name")} />
        <div class="field">
          <label for="u-role">{t("role")}</label>
          <select id="u-role" value={f.role} onChange={(e) => set("role")(e.currentTarget.value)}>
            {(["admin", "agent", "department"] as const).map((r) => <option key={r} value={r}>{t(`role_${r}`)}</option>)}
          </select>
        </div>
        <Input id="u-depts" label={t("departments")} value={f.departments} set={set("departments")} required={false} />
        <Input id="u-pass" label={t("password")} type="password" value={f.password} set={set("password")} />
      </Form>
    </>
  );
}

function Departments() {
  const { t } = useApp();
  const [list, reload, err] = useList<{ id: string; name: string }>("/departments");
  const [f, setF] = useState({ id: "", name: "" });
  return (
    <>
      {err ? <p class="error" role="alert">{err}</p> : null}
      <table>
        <caption class="sr">{t("departments")}</caption>
        <thead><tr><th scope="col">{t("id")}</th><th scope="col">{t("name")}</th></tr></thead>
        <tbody>{list.map((d) => <tr key={d.id}><td>{d.id}</td><td>{d.name}</td></tr>)}</tbody>
      </table>
      <Form title={t("add") + ": " + t("departments")} onSubmit={async () => { await api("POST", "/departments", f); setF({ id: "", name: "" }); reload(); }}>
        <Input id="d-id" label={t("id")} value={f.id} set={(v) => setF({ ...f, id: v })} />
        <Input id="d-name" label={t("name")} value={f.name} set={(v) => setF({ ...f, name: v })} />
      </Form>
    </>
  );
}

function Rules() {
  const ctx = useApp();
  const { t } = ctx;
  const [list, reload, err] = useList<Rule>("/rules");
  const [f, setF] = useState({ name: "", keywords: "", department: "", tags: "" });
  const [test, setTest] = useState({ text: "", platform: "mastodon" });
  const [result, setResult] = useState<string>("");
  const runTest = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ rule: Rule | null }>("POST", "/rules/test", test);
      setResult(r.rule ? t("ruleTestResult", { dept: deptName(ctx, r.rule.department ?? ""), rule: r.rule.name }) : t("ruleTestNone"));
    } catch (x) {
      setResult((x as Error).message);
    }
  };
  return (
    <>
      {err ? <p class="error" role="alert">{err}</p> : null}
      <table>
        <caption class="sr">{t("rules")}</caption>
        <thead><tr><th scope="col">{t("position")}</th><th scope="col">{t("name")}</th><th scope="col">{t("keywords")}</th><th scope="col">{t("department")}</th><th scope="col">{t("tags")}</th><th scope="col">{t("enabled")}</th></tr></thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.id}><td>{r.position}</td><td>{r.name}</td><td>{(r.keywords ?? []).join(", ")}{r.pattern ? ` /${r.pattern}/` : ""}</td><td>{deptName(ctx, r.department ?? "")}</td><td>{(r.tags ?? []).join(", ")}</td><td>{r.enabled ? "✓" : "–"}</td></tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={runTest} aria-labelledby="rt-h">
        <h2 id="rt-h">{t("ruleTest")}</h2>
        <div class="form-row">
          <div class="field">
            <label for="rt-text">{t("ruleTestText")}</label>
            <textarea id="rt-text" rows={2} cols={50} required value={test.text} onInput={(e) => setTest({ ...test, text: e.currentTarget.value })} />
          </div>
          <div class="field">
            <label for="rt-platform">{t("platform")}</label>
            <select id="rt-platform" value={test.platform} onChange={(e) => setTest({ ...test, platform: e.currentTarget.value })}>
              {["mastodon", "email", "facebook", "instagram", "x", "bluesky", "telegram", "whatsapp"].map((p) => <option key={p} value={p}>{t(("pf_" + p) as any)}</option>)}
            </select>
          </div>
          <button type="submit">{t("ruleTestButton")}</button>
        </div>
        <p role="status">{result}</p>
      </form>
      <Form title={t("add") + ": " + t("rules")} onSubmit={async () => {
        const split = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
        await api("POST", "/rules", { name: f.name, keywords: split(f.keywords), department: f.department, tags: split(f.tags), enabled: true, position: list.length + 1 });
        setF({ name: "", keywords: "", department: "", tags: "" });
        reload();
      }}>
        <Input id="r-name" label={t("name")} value={f.name} set={(v) => setF({ ...f, name: v })} />
        <Input id="r-kw" label={t("keywords")} value={f.keywords} set={(v) => setF({ ...f, keywords: v })} />
        <div class="field">
          <label for="r-dept">{t("department")}</label>
          <select id="r-dept" value={f.department} onChange={(e) => setF({ ...f, department: e.currentTarget.value })}>
            <option value="">{t("none")}</option>
            {ctx.departments.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
        </div>
        <Input id="r-tags" label={t("tags")} value={f.tags} set={(v) => setF({ ...f, tags: v })} required={false} />
      </Form>
    </>
  );
}

function Canned() {
  const ctx = useApp();
  const { t } = ctx;
  const [list, reload, err] = useList<CannedAnswer>("/canned");
  const [f, setF] = useState({ title: "", shortcut: "", text: "", department: "" });
  return (
    <>
      {err ? <p class="error" role="alert">{err}</p> : null}
      <table>
        <caption class="sr">{t("canned")}</caption>
        <thead><tr><th scope="col">{t("shortcut")}</th><th scope="col">{t("title")}</th><th scope="col">{t("text")}</th><th scope="col">{t("department")}</th></tr></thead>
        <tbody>{list.map((a) => <tr key={a.id}><td>/{a.shortcut}</td><td>{a.title}</td><td>{a.text.slice(0, 120)}</td><td>{a.department ? deptName(ctx, a.department) : t("any")}</td></tr>)}</tbody>
      </table>
      <Form title={t("add") + ": " + t("canned")} onSubmit={async () => { await api("POST", "/canned", f); setF({ title: "", shortcut: "", text: "", department: "" }); reload(); }}>
        <Input id="c-title" label={t("title")} value={f.title} set={(v) => setF({ ...f, title: v })} />
        <Input id="c-short" label={t("shortcut")} value={f.shortcut} set={(v) => setF({ ...f, shortcut: v })} />
        <div class="field">
          <label for="c-text">{t("text")}</label>
          <textarea id="c-text" rows={3} cols={50} required value={f.text} onInput={(e) => setF({ ...f, text: e.currentTarget.value })} />
        </div>
      </Form>
    </>
  );
}

function Channels() {
  const { t, loc } = useApp();
  const [list, reload, err] = useList<Channel>("/channels");
  const [kind, setKind] = useState<"mastodon" | "email">("mastodon");
  const [f, setF] = useState({ name: "", account: "", instance: "", token: "", imap: "", smtp: "", user: "" });
  const [tests, setTests] = useState<Record<number, string>>({});
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const test = async (id: number) => {
    setTests((m) => ({ ...m, [id]: t("loading") }));
    try {
      const r = await api<{ ok: boolean; error?: string }>("POST", `/channels/${id}/test`);
      setTests((m) => ({ ...m, [id]: r.ok ? t("testOk") : t("error") + ": " + (r.error ?? "") }));
    } catch (x) {
      setTests((m) => ({ ...m, [id]: (x as Error).message }));
    }
  };
  const create = async () => {
    const body =
      kind === "mastodon"
        ? { platform: "mastodon", name: f.name, account: f.account, settings: { instance: f.instance }, secret: f.token, enabled: true }
        : { platform: "email", name: f.name, account: f.account, settings: { imap_addr: f.imap, imap_tls: "tls", imap_username: f.user, smtp_addr: f.smtp, smtp_tls: "starttls", smtp_username: f.user }, secret: f.token, enabled: true };
    const ch = await api<Channel>("POST", "/channels", body);
    reload();
    if (ch?.id) await test(ch.id);
  };
  return (
    <>
      {err ? <p class="error" role="alert">{err}</p> : null}
      <table>
        <caption class="sr">{t("channels")}</caption>
        <thead><tr><th scope="col">{t("platform")}</th><th scope="col">{t("name")}</th><th scope="col">{t("health")}</th><th scope="col">{t("lastSuccess")}</th><th scope="col">{t("lastError")}</th><th scope="col">{t("nextPoll")}</th><th scope="col"><span class="sr">{t("actions")}</span></th></tr></thead>
        <tbody>
          {list.map((c) => {
            const h = c.health;
            const ok = h?.state === "ok";
            return (
              <tr key={c.id}>
                <td><PlatformIcon platform={c.platform} t={t} /></td>
                <td>{c.name}<br /><span class="muted">{c.account}</span></td>
                <td class={ok ? "health-ok" : "health-bad"}>{h?.state ?? "–"}{h && h.consecutive_failures ? ` (${t("failures")}: ${h.consecutive_failures})` : ""}</td>
                <td>{h?.last_success_at ? dateTime(h.last_success_at, loc) : "–"}</td>
                <td>{h?.last_error ?? "–"}</td>
                <td>{h?.next_poll_at ? dateTime(h.next_poll_at, loc) : "–"}</td>
                <td>
                  <button type="button" onClick={() => test(c.id)}>{t("testConnection")}<span class="sr"> {c.name}</span></button>
                  <span role="status"> {tests[c.id] ?? ""}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <Form title={t("addChannel")} onSubmit={create}>
        <div class="field">
          <label for="ch-kind">{t("platform")}</label>
          <select id="ch-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as "mastodon" | "email")}>
            <option value="mastodon">{t("pf_mastodon")}</option>
            <option value="email">{t("pf_email")}</option>
          </select>
        </div>
        <Input id="ch-name" label={t("name")} value={f.name} set={set("name")} />
        <Input id="ch-account" label={t("account")} value={f.account} set={set("account")} />
        {kind === "mastodon" ? (
          <Input id="ch-instance" label={t("instanceURL")} type="url" value={f.instance} set={set("instance")} />
        ) : (
          <>
            <Input id="ch-imap" label={t("imapHost")} value={f.imap} set={set("imap")} />
            <Input id="ch-smtp" label={t("smtpHost")} value={f.smtp} set={set("smtp")} />
            <Input id="ch-user" label={t("username")} value={f.user} set={set("user")} />
          </>
        )}
        <Input id="ch-token" label={kind === "mastodon" ? t("token") : t("password")} type="password" value={f.token} set={set("token")} />
      </Form>
    </>
  );
}

interface Stats {
  total: number;
  by_day: { day: string; count: number }[] | null;
  by_channel: { channel_id: number; name: string; platform: string; count: number }[] | null;
  by_department: { term: string; count: number }[] | null;
  first_response: { count: number; median_seconds: number };
  resolution: { count: number; median_seconds: number };
}

function Bars({ caption, rows }: { caption: string; rows: [string, number][] }) {
  const { t } = useApp();
  const max = Math.max(1, ...rows.map((r) => r[1]));
  return (
    <table>
      <caption>{caption}</caption>
      <thead><tr><th scope="col">{caption}</th><th scope="col">{t("count")}</th><th scope="col" class="sr">%</th></tr></thead>
      <tbody>
        {rows.map(([k, n]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{n}</td>
            {/* Preact sets a style object through CSSOM, which the CSP allows (unlike style attributes in markup). */}
            <td class="bar-cell" aria-hidden="true"><span class="bar" style={{ width: (100 * n) / max + "%" }} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Stats() {
  const ctx = useApp();
  const { t } = ctx;
  const [s, setS] = useState<Stats | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => { api<Stats>("GET", "/stats").then(setS, (e) => setErr((e as Error).message)); }, []);
  if (err) return <p class="error" role="alert">{err}</p>;
  if (!s) return <p role="status">{t("loading")}</p>;
  const h = (sec: number) => t("hours", { n: Math.round((sec / 3600) * 10) / 10 });
  return (
    <>
      <dl class="shortcuts">
        <dt>{t("medianFirstResponse")}</dt><dd>{s.first_response?.count ? h(s.first_response.median_seconds) : "–"}</dd>
        <dt>{t("medianResolution")}</dt><dd>{s.resolution?.count ? h(s.resolution.median_seconds) : "–"}</dd>
      </dl>
      <Bars caption={t("volumeByDay")} rows={(s.by_day ?? []).map((d) => [d.day, d.count])} />
      <Bars caption={t("byChannel")} rows={(s.by_channel ?? []).map((c) => [c.name || t(("pf_" + c.platform) as any), c.count])} />
      <Bars caption={t("byDepartment")} rows={(s.by_department ?? []).map((d) => [deptName(ctx, d.term), d.count])} />
    </>
  );
}
