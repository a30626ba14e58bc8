import type { Lang, Texts } from "../i18n.ts";
import { escapeHtml, otherLang } from "./html.ts";

/** The sign-in page's words; `language` is the toggle every console page shows. */
export const loginUi = {
  loginTitle: { zh: "安防控制台登录", en: "Security console sign-in" },
  user: { zh: "账号", en: "User" },
  password: { zh: "密码", en: "Password" },
  signIn: { zh: "登录", en: "Sign in" },
  badLogin: { zh: "账号或密码错误", en: "Wrong user or password" },
  tooMany: { zh: "失败次数过多，请 5 分钟后再试", en: "Too many failed attempts: try again in 5 minutes" },
  language: { zh: "English", en: "中文" },
} satisfies Record<string, Texts>;

/** Where a sign-in may return to: a path of this console, never another site (`//host`, `/\\host`). */
export function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])[A-Za-z0-9/_.-]*$/.test(next) ? next : "/";
}

/** The sign-in form; `next` is the console page to return to once signed in. */
export function loginPage(lang: Lang, error?: string, next = "/"): string {
  const t = (k: keyof typeof loginUi) => escapeHtml(loginUi[k][lang]);
  return `<!doctype html>
<html lang="${lang === "zh" ? "zh-CN" : "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t("loginTitle")}</title>
<style>
body{margin:0;font-family:"PingFang SC","Noto Sans CJK SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;background:#101820;color:#e8eef2;display:flex;min-height:100vh;align-items:center;justify-content:center}
form{background:#1b2631;padding:32px 36px;border-radius:10px;width:min(300px, calc(100vw - 96px));box-shadow:0 8px 30px #0008}
h1{font-size:20px;margin:0 0 20px}label{display:block;margin:12px 0 4px;font-size:14px;color:#9fb3c3}
input{width:100%;box-sizing:border-box;padding:9px 10px;border-radius:6px;border:1px solid #34495e;background:#0f1a24;color:#fff;font-size:15px}
button{margin-top:20px;width:100%;padding:10px;border:0;border-radius:6px;background:#2e86de;color:#fff;font-size:16px;cursor:pointer}
.error{background:#5c1a1a;color:#ffb3b3;padding:8px 10px;border-radius:6px;font-size:14px}
.lang{display:block;text-align:right;margin-top:14px;color:#9fb3c3;font-size:13px}
</style></head><body>
<form method="post" action="/login" id="login">
<h1>${t("loginTitle")}</h1>
${error ? `<div class="error" id="login-error">${escapeHtml(error)}</div>` : ""}
<label for="user">${t("user")}</label><input id="user" name="user" autocomplete="username" required autofocus>
<label for="password">${t("password")}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="lang" value="${lang}">
<input type="hidden" name="next" value="${escapeHtml(safeNext(next))}">
<button type="submit" id="sign-in">${t("signIn")}</button>
<a class="lang" href="/?lang=${otherLang(lang)}">${t("language")}</a>
</form></body></html>`;
}
