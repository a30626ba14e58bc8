import { deviceKinds } from "../../devices/index.ts";
import type { RejectReason } from "../events.ts";
import { inLang, type Lang, type Texts } from "../i18n.ts";
import type { DeviceState } from "./roster.ts";

/** The devices page's words, Chinese first. `{name}` placeholders are filled by the page script. */
export const ui = {
  title: { zh: "邻里 · 设备", en: "linli · Devices" },
  devices: { zh: "设备", en: "Devices" },
  search: { zh: "搜索编号、楼栋、位置", en: "Search id, building, place" },
  kind: { zh: "类型", en: "Kind" },
  allKinds: { zh: "全部类型", en: "All kinds" },
  state: { zh: "状态", en: "State" },
  all: { zh: "全部", en: "All" },
  summary: { zh: "共 {total} 台 · 在线 {online} · 离线 {offline} · 未知 {unknown}", en: "{total} devices · {online} online · {offline} offline · {unknown} unknown" },
  shown: { zh: "显示 {n} 台", en: "showing {n}" },
  noDevices: {
    zh: "还没有设备：网关尚未收到任何设备的消息，设备登记表中也没有设备。设备接入后会自动出现在这里。",
    en: "No devices yet: the gateway has not heard from any device, and the device registry lists none. Devices appear here as soon as they connect.",
  },
  noMatch: { zh: "没有符合筛选条件的设备", en: "No device matches the filter" },
  clearFilter: { zh: "清除筛选", en: "Clear the filter" },
  lastSeen: { zh: "最后通信 {at}（{ago}）", en: "Last heard {at} ({ago})" },
  neverSeen: { zh: "网关启动以来未收到消息", en: "Not heard since the gateway started" },
  offlineAfter: { zh: "超过 {s} 秒无消息即离线", en: "offline after {s} s without a message" },
  secondsAgo: { zh: "{n} 秒前", en: "{n} s ago" },
  minutesAgo: { zh: "{n} 分钟前", en: "{n} min ago" },
  hoursAgo: { zh: "{n} 小时前", en: "{n} h ago" },
  daysAgo: { zh: "{n} 天前", en: "{n} d ago" },
  noPlace: { zh: "位置未登记", en: "Place not recorded" },
  building: { zh: "{b}号楼", en: "Building {b}" },
  notListed: { zh: "不在设备登记表中", en: "Not in the device registry" },
  disabled: { zh: "已停用", en: "Disabled" },
  liftValues: { zh: "{floor} 层 · 门{door} · {motion}", en: "Floor {floor} · doors {door} · {motion}" },
  moving: { zh: "运行中", en: "moving" },
  stopped: { zh: "停靠", en: "stopped" },
  chargerValues: { zh: "充电中 {charging}/{total} 口 · 故障 {fault} · {power} W · 最高 {hottest} °C", en: "{charging}/{total} ports charging · {fault} faulty · {power} W · hottest {hottest} °C" },
  gateValues: { zh: "今日通行 {count} 次（拒绝 {refused}）", en: "{count} passes today ({refused} refused)" },
  throwValues: { zh: "最近事件：{building}号楼 {floor} 层，{at}", en: "Latest event: building {building}, floor {floor}, {at}" },
  unknownFloor: { zh: "?", en: "?" },
  rejects: { zh: "近一小时拒收 {n} 条：{reasons}", en: "{n} refused in the last hour: {reasons}" },
  grafana: { zh: "Grafana 看板", en: "Grafana board" },
  updated: { zh: "更新于 {at}", en: "Updated {at}" },
  loadFailed: { zh: "加载失败，稍后重试", en: "Loading failed, retrying" },
} satisfies Record<string, Texts>;

export const stateNames = {
  online: { zh: "在线", en: "Online" },
  offline: { zh: "离线", en: "Offline" },
  unknown: { zh: "未知", en: "Unknown" },
} satisfies Record<DeviceState, Texts>;

export const doorNames: Record<string, Texts> = {
  open: { zh: "开", en: "open" },
  opening: { zh: "正在开", en: "opening" },
  closing: { zh: "正在关", en: "closing" },
  closed: { zh: "关", en: "closed" },
};

export const rejectNames = {
  bad_topic: { zh: "主题错误", en: "bad topic" },
  unknown_kind: { zh: "未知类型", en: "unknown kind" },
  unknown_channel: { zh: "未知通道", en: "unknown channel" },
  oversize: { zh: "超长", en: "oversize" },
  malformed_json: { zh: "JSON 格式错误", en: "malformed JSON" },
  schema: { zh: "字段不符", en: "schema" },
  device_mismatch: { zh: "设备编号不符", en: "device id mismatch" },
  duplicate: { zh: "重复", en: "duplicate" },
  bad_image: { zh: "图像无效", en: "bad image" },
} satisfies Record<RejectReason, Texts>;

/** Everything the page script needs to render in one language. */
export function pageStrings(lang: Lang) {
  const pick = <K extends string>(table: Record<K, Texts>) => inLang(table, lang);
  return { ui: pick(ui), states: pick(stateNames), kinds: Object.fromEntries(deviceKinds.map((k) => [k.kind, k.names[lang]])), doors: pick(doorNames), rejects: pick(rejectNames) };
}
