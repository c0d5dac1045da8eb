// User settings: the UI language.

import { useState } from "preact/hooks";
import { api } from "../api";
import { useApp } from "../ctx";
import type { User } from "../types";

export function Settings() {
  const { t, user, setUser } = useApp();
  const [msg, setMsg] = useState("");
  const change = async (lang: string) => {
    setMsg("");
    try {
      const u = await api<User>("PATCH", "/me", { lang });
      setUser({ ...user, ...(u ?? {}), lang });
      setMsg("saved");
    } catch (e) {
      setMsg((e as Error).message);
    }
  };
  return (
    <section aria-labelledby="settings-h">
      <h1 id="settings-h" tabIndex={-1}>{t("settingsTitle")}</h1>
      <fieldset>
        <legend>{t("language")}</legend>
        {(["de", "en"] as const).map((l) => (
          <div class="field check" key={l}>
            <input type="radio" name="lang" id={"lang-" + l} checked={(user.lang || "de") === l} onChange={() => change(l)} />
            <label for={"lang-" + l} lang={l}>{t(`lang_${l}`)}</label>
          </div>
        ))}
      </fieldset>
      <p role="status">{msg === "saved" ? t("saved") : msg}</p>
    </section>
  );
}
