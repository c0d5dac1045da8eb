// The application context: who is logged in, the translator, the stream,
// and a live region for announcements.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Translator } from "./i18n";
import type { Stream } from "./socket";
import type { Department, User } from "./types";

/** AppCtx is what every view gets from the shell. */
export interface AppCtx {
  user: User;
  setUser: (u: User) => void;
  t: Translator;
  loc: string;
  stream: Stream;
  departments: Department[];
  announce: (msg: string) => void;
  openHelp: () => void;
}

export const Ctx = createContext<AppCtx>(null as unknown as AppCtx);

/** useApp returns the application context. */
export function useApp(): AppCtx {
  return useContext(Ctx);
}

/** deptName returns a department's display name. */
export function deptName(ctx: AppCtx, id: string): string {
  if (!id) return ctx.t("unrouted");
  return ctx.departments.find((d) => d.id === id)?.name ?? id;
}

/** isTyping reports whether keyboard focus is in a text field, where single-key shortcuts must not fire. */
export function isTyping(el: Element | null): boolean {
  if (!el) return false;
  const tag = el.tagName;
  return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (el as HTMLElement).isContentEditable;
}
