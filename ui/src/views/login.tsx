// Login and the first-start screen that creates the administrator.

import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, setCSRF } from "../api";
import type { Translator } from "../i18n";
import type { User } from "../types";

type Done = (u: User) => void;

async function logIn(login: string, password: string): Promise<User> {
  const s = await api<{ user: User; csrf_token: string }>("POST", "/session", { login, password });
  setCSRF(s.csrf_token);
  return s.user;
}

export function Login({ t, onDone, expired }: { t: Translator; onDone: Done; expired?: boolean }) {
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [err, setErr] = useState("");
  const [busy, setBusy] = useState(false);
  const [sso, setSSO] = useState<{ enabled: boolean; name?: string } | null>(null);
  // A failed single sign-on comes back as /?sso_error=refused|unavailable.
  const [ssoErr] = useState(() => new URLSearchParams(location.search).get("sso_error"));
  useEffect(() => {
    if (ssoErr) history.replaceState(null, "", location.pathname);
  }, []);
  // autofocus works only on page load; after logout or an ended session
  // the form replaces the app without one.
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  // Single sign-on is offered only when the server has a provider.
  useEffect(() => {
    api<{ enabled: boolean; name?: string }>("GET", "/oidc").then(setSSO, () => {});
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr("");
    try {
      onDone(await logIn(login, password));
    } catch (x) {
      setErr(x instanceof ApiError && x.status === 401 ? t("loginFailed") : (x as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="auth" id="main">
      <h1>{t("app")}</h1>
      <form onSubmit={submit} aria-labelledby="login-h">
        <h2 id="login-h">{t("loginTitle")}</h2>
        {err ? <p class="error" role="alert" id="login-err">{err}</p>
          : ssoErr ? <p class="error" role="alert" id="login-sso-err">{t(ssoErr === "unavailable" ? "ssoUnavailable" : "ssoRefused")}</p>
          : expired ? <p role="alert" id="login-expired">{t("sessionExpired")}</p> : null}
        <label for="login">{t("login")}</label>
        <input id="login" ref={first} name="login" autocomplete="username" required value={login}
          onInput={(e) => setLogin(e.currentTarget.value)} aria-describedby={err ? "login-err" : undefined} autoFocus />
        <label for="password">{t("password")}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required value={password}
          onInput={(e) => setPassword(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>{t("loginButton")}</button>
      </form>
      {sso?.enabled ? (
        <p class="sso">
          <span class="muted">{t("loginOr")}</span>
          {/* A full page load: the provider's login page is elsewhere. */}
          <a class="button" id="sso" href="/api/v1/oidc/login">{t("loginSSO", { name: sso.name || "Single Sign-On" })}</a>
        </p>
      ) : null}
    </main>
  );
}

export function Setup({ t, onDone }: { t: Translator; onDone: Done }) {
  const [f, setF] = useState({ login: "", name: "", password: "" });
  const [err, setErr] = useState<{ msg: string; field?: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setErr(null);
    try {
      await api("POST", "/setup", f);
      onDone(await logIn(f.login, f.password));
    } catch (x) {
      const a = x as ApiError;
      setErr({ msg: a.message, field: a.field });
    }
  };
  const field = (k: "login" | "name" | "password", label: string, type = "text", ac = "off") => (
    <>
      <label for={"setup-" + k}>{label}</label>
      <input id={"setup-" + k} type={type} required autocomplete={ac} value={f[k]}
        aria-invalid={err?.field === k ? "true" : undefined}
        onInput={(e) => setF({ ...f, [k]: e.currentTarget.value })} />
    </>
  );
  return (
    <main class="auth" id="main">
      <h1>{t("app")}</h1>
      <form onSubmit={submit} aria-labelledby="setup-h">
        <h2 id="setup-h">{t("setupTitle")}</h2>
        <p>{t("setupIntro")}</p>
        {err ? <p class="error" role="alert">{err.field ? err.field + ": " : ""}{err.msg}</p> : null}
        {field("name", t("name"), "text", "name")}
        {field("login", t("login"), "text", "username")}
        {field("password", t("password"), "password", "new-password")}
        <button type="submit" class="primary">{t("setupButton")}</button>
      </form>
    </main>
  );
}
