import { loginUi } from "../../console/login-page.ts";
import { inLang, type Lang, type Texts } from "../../i18n.ts";
import { eventNames, severityNames, stateNames } from "../i18n.ts";
import { typeNames } from "../rules/index.ts";

/**
 * The alerts page's own words; alert type, severity and state names come from the alert types. The
 * sign-in words are in it too, in their old places, so that the strings the page embeds (and so the
 * page) stay byte-for-byte what they were before the sign-in moved to gateway/console/.
 */
export const ui = {
  title: { zh: "邻里 · 安防控制台", en: "linli · Security console" },
  loginTitle: loginUi.loginTitle,
  user: loginUi.user,
  password: loginUi.password,
  signIn: loginUi.signIn,
  badLogin: loginUi.badLogin,
  tooMany: loginUi.tooMany,
  open: { zh: "未处理告警", en: "Open alerts" },
  history: { zh: "历史记录", en: "History" },
  /** this page's entry in the console's navigation */
  alerts: { zh: "告警", en: "Alerts" },
  /** the alert card's button that makes it a work order */
  toOrder: { zh: "转工单", en: "To work order" },
  none: { zh: "一切正常：当前没有未处理的告警", en: "All clear: no open alerts" },
  live: { zh: "实时连接", en: "Live" },
  offline: { zh: "连接中断，正在重连…", en: "Disconnected, reconnecting…" },
  count: { zh: "次数", en: "Count" },
  first: { zh: "首次", en: "First" },
  last: { zh: "最近", en: "Latest" },
  note: { zh: "备注（可选）", en: "Note (optional)" },
  acknowledge: { zh: "确认", en: "Acknowledge" },
  resolve: { zh: "解决", en: "Resolve" },
  releaseEbike: { zh: "确有电动车，释放", en: "E-bike: release" },
  releaseFalse: { zh: "误报（无电动车），释放", en: "No e-bike (false hold): release" },
  portOff: { zh: "断电", en: "Port off" },
  portOn: { zh: "恢复通电", en: "Port on" },
  portOffSent: { zh: "断电指令已发送", en: "Port-off command sent" },
  portOnSent: { zh: "通电指令已发送", en: "Port-on command sent" },
  ackedBy: { zh: "确认人", en: "Acknowledged by" },
  resolvedBy: { zh: "处理人", en: "Resolved by" },
  escalated: { zh: "已升级通知", en: "Escalated" },
  snapshot: { zh: "现场快照", en: "Snapshot" },
  clip: { zh: "视频片段", en: "Clip" },
  noSnapshot: { zh: "快照尚未取得", en: "Snapshot not fetched yet" },
  unverified: { zh: "校验失败", en: "SHA-256 mismatch" },
  time: { zh: "时间", en: "Time" },
  type: { zh: "类型", en: "Type" },
  place: { zh: "地点", en: "Place" },
  severity: { zh: "级别", en: "Severity" },
  state: { zh: "状态", en: "State" },
  handling: { zh: "处理记录", en: "Handling" },
  more: { zh: "加载更多", en: "Load more" },
  failed: { zh: "操作失败", en: "Action failed" },
  /** the notification panel: each webhook's health, and the muted devices */
  channels: { zh: "通知渠道", en: "Channels" },
  channel: { zh: "渠道", en: "Channel" },
  perMinute: { zh: "每分钟上限", en: "Per minute" },
  sent: { zh: "单条发送", en: "Sent" },
  digested: { zh: "汇总发送", en: "In digests" },
  queued: { zh: "排队中", en: "Queued" },
  failedCount: { zh: "发送失败", en: "Failed" },
  health: { zh: "状态", en: "Health" },
  healthy: { zh: "正常", en: "OK" },
  failing: { zh: "故障", en: "Failing" },
  lastError: { zh: "最近错误", en: "Last error" },
  noChannels: { zh: "未配置通知渠道", en: "No channels configured" },
  mutes: { zh: "已静音设备", en: "Muted devices" },
  noMutes: { zh: "没有静音的设备", en: "No muted devices" },
  mute: { zh: "静音此设备", en: "Mute device" },
  unmute: { zh: "取消静音", en: "Unmute" },
  muted: { zh: "已静音", en: "Muted" },
  hours: { zh: "小时", en: "h" },
  until: { zh: "截止", en: "Until" },
  mutedBy: { zh: "操作人", en: "By" },
  device: { zh: "设备", en: "Device" },
  muteNote: { zh: "备注", en: "Note" },
  legalHold: { zh: "证据保全", en: "Legal hold" },
  held: { zh: "已法律保全", en: "On legal hold" },
  holdReason: { zh: "请在备注中填写保全原因（如派出所调取单号）", en: "Write the hold's reason in the note (e.g. the police request number)" },
  /** a held alert's link to its evidence package as one .tar file */
  downloadPackage: { zh: "下载证据包", en: "Download evidence package" },
  /** the history row's own reason box for a hold */
  holdNote: { zh: "保全原因（如派出所调取单号）", en: "Reason (e.g. the police request number)" },
} satisfies Record<string, Texts>;

/** Everything the page script needs to render in one language. */
export function pageStrings(lang: Lang) {
  const pick = <K extends string>(table: Record<K, Record<Lang, string>>) => inLang(table, lang);
  return { ui: pick(ui), types: pick(typeNames), severities: pick(severityNames), states: pick(stateNames), events: pick(eventNames) };
}
