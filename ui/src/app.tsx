// The shell: session check, first start, login, then the layout with skip
// link, navigation, connection banner, live region and shortcut help.

import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, items, setCSRF, setUnauthorizedHandler } from "./api";
import { Ctx, isTyping, useApp, type AppCtx } from "./ctx";
import { Dialog } from "./dialog";
import { locale, translator, type Key } from "./i18n";
import { Sprite } from "./icons";
import { go, href, useRoute } from "./router";
import { Stream } from "./socket";
import type { Department, User } from "./types";
import { Admin } from "./views/admin";
import { DepartmentView } from "./views/department";
import { Inbox } from "./views/inbox";
import { Login, Setup } from "./views/login";
import { SearchView } from "./views/search";
import { Settings } from "./views/settings";
import { TicketView } from "./views/ticket";

type Phase = { k: "loading" } | { k: "setup" } | { k: "login"; expired?: boolean } | { k: "in"; user: User };

export function Root() {
  const [phase, setPhase] = useState<Phase>({ k: "loading" });
  useEffect(() => {
    (async () => {
      try {
        const s = await api<{ user: User; csrf_token: string }>("GET", "/session");
        setCSRF(s.csrf_token);
        setPhase({ k: "in", user: s.user });
        return;
      } catch {
        /* not logged in */
      }
      try {
        const st = await api<{ needs_admin: boolean }>("GET", "/setup");
        setPhase(st.needs_admin ? { k: "setup" } : { k: "login" });
      } catch {
        setPhase({ k: "login" });
      }
    })();
  }, []);
  // While logged in, a 401 means the session ended (idle timeout, absolute
  // cap, revoked): back to the login page, saying why.
  useEffect(() => {
    setUnauthorizedHandler(phase.k === "in" ? () => setPhase({ k: "login", expired: true }) : null);
  }, [phase.k]);
  const t = translator("de");
  switch (phase.k) {
    case "loading":
      return <p class="loading" role="status">{t("loading")}</p>;
    case "setup":
      return <Setup t={t} onDone={(u) => setPhase({ k: "in", user: u })} />;
    case "login":
      return <Login t={t} expired={phase.expired} onDone={(u) => setPhase({ k: "in", user: u })} />;
    case "in":
      return <Shell initial={phase.user} onLogout={() => setPhase({ k: "login" })} />;
  }
}

function Shell({ initial, onLogout }: { initial: User; onLogout: () => void }) {
  const [user, setUser] = useState(initial);
  const [departments, setDepartments] = useState<Department[]>([]);
  const [online, setOnline] = useState(true);
  const [wasOffline, setWasOffline] = useState(false);
  const [live, setLive] = useState("");
  const [help, setHelp] = useState(false);
  const stream = useMemo(() => new Stream(), []);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const lang = user.lang === "en" ? "en" : "de";
  const t = useMemo(() => translator(lang), [lang]);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  useEffect(() => {
    stream.start();
    const off = stream.onState((on) => {
      setOnline(on);
      if (!on) setWasOffline(true);
      // A socket refused for an ended session looks like a network drop;
      // asking for the session tells them apart (a 401 shows the login).
      if (!on) api("GET", "/session").catch(() => {});
    });
    return () => {
      off();
      stream.stop();
    };
  }, [stream]);
  useEffect(() => {
    api<any>("GET", "/departments").then((d) => setDepartments(items<Department>(d)), () => {});
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(document.activeElement)) return;
      if (document.querySelector("dialog[open]")) return;
      if (e.key === "?") {
        e.preventDefault();
        setHelp(true);
      } else if (e.key === "/") {
        e.preventDefault();
        if (route.path[0] === "search") document.getElementById("search-q")?.focus();
        else go("/search");
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [route.path[0]]);
  // Moving focus to the main heading on navigation tells screen readers the
  // page changed, as a full page load would.
  useEffect(() => {
    const h = main.current?.querySelector<HTMLElement>("h1");
    if (h && document.activeElement === document.body) h.focus();
  }, [route.path.join("/")]);

  const ctx: AppCtx = {
    user,
    setUser,
    t,
    loc: locale(lang),
    stream,
    departments,
    announce: (m) => {
      // Clearing first makes a repeated message be read again.
      setLive("");
      setTimeout(() => setLive(m), 50);
    },
    openHelp: () => setHelp(true),
  };

  const logout = async () => {
    try {
      await api("DELETE", "/session");
    } catch {
      /* the session is gone either way */
    }
    stream.stop();
    location.hash = "";
    onLogout();
  };

  const p0 = route.path[0] ?? "";
  const nav: [string, Key, boolean][] = [
    ["/", "navInbox", p0 === "" || p0 === "tickets"],
    ["/search", "navSearch", p0 === "search"],
  ];
  if (user.role === "department" || (user.departments?.length ?? 0) > 0) nav.push(["/department", "navDept", p0 === "department"]);
  if (user.role === "admin") nav.push(["/admin", "navAdmin", p0 === "admin"]);
  nav.push(["/settings", "navSettings", p0 === "settings"]);

  let view;
  switch (p0) {
    case "tickets":
      view = <TicketView id={Number(route.path[1])} key={route.path[1]} />;
      break;
    case "search":
      view = <SearchView query={route.query} />;
      break;
    case "department":
      view = <DepartmentView />;
      break;
    case "admin":
      view = <Admin tab={route.path[1] ?? "users"} />;
      break;
    case "settings":
      view = <Settings />;
      break;
    default:
      view = <Inbox query={route.query} />;
  }

  return (
    <Ctx.Provider value={ctx}>
      <Sprite />
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>
        {t("skip")}
      </a>
      <header class="top">
        <a class="brand" href={href("/")}>{t("app")}</a>
        <nav aria-label={t("nav")}>
          <ul>
            {nav.map(([path, key, cur]) => (
              <li key={path}>
                <a href={href(path)} aria-current={cur ? "page" : undefined}>{t(key)}</a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="me">{user.name}</span>
        <button type="button" class="link" onClick={logout}>{t("logout")}</button>
        <button type="button" class="link" onClick={() => setHelp(true)} aria-keyshortcuts="?">?<span class="sr">{t("shortcutsTitle")}</span></button>
      </header>
      {!online ? (
        <div class="banner offline" role="alert">{t("offline")}</div>
      ) : wasOffline ? (
        <div class="banner online" role="status">{t("online")}</div>
      ) : null}
      <main id="main" ref={main} tabIndex={-1}>
        {view}
      </main>
      <div class="sr" aria-live="polite" role="status" id="live">{live}</div>
      <Dialog open={help} title={t("shortcutsTitle")} onClose={() => setHelp(false)}>
        <Shortcuts />
        <button type="button" onClick={() => setHelp(false)}>{t("close")}</button>
      </Dialog>
    </Ctx.Provider>
  );
}

function Shortcuts() {
  const { t } = useApp();
  const rows: [string, Key][] = [
    ["j / k", "sc_jk"],
    ["Enter", "sc_enter"],
    ["r", "sc_r"],
    ["n", "sc_n"],
    ["t", "sc_t"],
    ["d", "sc_d"],
    ["a", "sc_a"],
    ["e", "sc_e"],
    ["/", "sc_search"],
    ["?", "sc_help"],
    ["Esc", "sc_esc"],
  ];
  return (
    <dl class="shortcuts">
      {rows.map(([k, d]) => [<dt key={k}><kbd>{k}</kbd></dt>, <dd key={d}>{t(d)}</dd>])}
    </dl>
  );
}
