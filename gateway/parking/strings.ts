import { inLang, type Lang, type Texts } from "../i18n.ts";

/** The parking page's words, Chinese first. `{name}` placeholders are filled by the page script. */
export const ui = {
  title: { zh: "邻里 · 停车", en: "linli · Parking" },
  parking: { zh: "停车", en: "Parking" },
  occupancy: { zh: "车场占用", en: "Occupancy" },
  noCarParks: { zh: "尚未配置车场：在 linli.yaml 的 parking.carParks 中登记车场及其出入口道闸后，这里显示场内车辆数。", en: "No car park configured yet: list the car parks and their entry and exit gates under parking.carParks in linli.yaml to see the cars inside here." },
  cars: { zh: "场内 {cars} / {capacity} 辆", en: "{cars} / {capacity} cars inside" },
  free: { zh: "空余 {free} 个车位", en: "{free} spaces free" },
  full: { zh: "已满", en: "Full" },
  correct: { zh: "盘点修正", en: "Correct the count" },
  countLabel: { zh: "实际车辆数", en: "Cars counted" },
  noteLabel: { zh: "备注", en: "Note" },
  notePlaceholder: { zh: "如：夜间盘点", en: "e.g. nightly count" },
  save: { zh: "保存", en: "Save" },
  corrected: { zh: "{park} 已修正为 {cars} 辆（原 {previous} 辆）", en: "{park} set to {cars} cars (was {previous})" },
  lastCorrection: { zh: "最近盘点：{at} {by} 由 {previous} 改为 {cars} 辆{note}", en: "Last count: {at} by {by}, {previous} to {cars}{note}" },
  overstaying: { zh: "访客超时停放（超过 {h} 小时或通行证到期）", en: "Visitors overstaying (over {h} h or pass ended)" },
  neverLeft: { zh: "只进未出（超过 {h} 小时）", en: "Entered, never left (over {h} h)" },
  noOverstaying: { zh: "没有超时停放的访客车辆", en: "No visitor car is overstaying" },
  noNeverLeft: { zh: "没有只进未出的车辆", en: "No car entered without leaving" },
  entered: { zh: "{at} 从 {gate} 进入 {park}，已停 {stay}", en: "entered {park} at {at} by {gate}, {stay} inside" },
  hours: { zh: "{n} 小时", en: "{n} h" },
  minutes: { zh: "{n} 分钟", en: "{n} min" },
  lists: { zh: "车牌名单（管理员）", en: "Plate lists (administrators)" },
  listsNote: { zh: "车牌按隐私设置（privacy.ids）保存，与 InfluxDB 中的车牌一致；散列后的车牌无法还原，请在备注中注明房号或原因。", en: "Plates are kept as privacy.ids keeps them, the same as in InfluxDB; a hashed plate cannot be read back, so note the flat or the reason." },
  plateLabel: { zh: "车牌号", en: "Plate" },
  listLabel: { zh: "名单", en: "List" },
  labelLabel: { zh: "备注（房号、原因）", en: "Note (flat, reason)" },
  validLabel: { zh: "访客有效期（小时）", en: "Visitor pass (hours)" },
  add: { zh: "加入名单", en: "Add" },
  remove: { zh: "移除", en: "Remove" },
  noPlates: { zh: "名单为空：在上方登记住户、访客或禁止入场的车牌。", en: "No plates listed yet: add residents', visitors' or denied plates above." },
  expires: { zh: "有效至 {at}", en: "valid until {at}" },
  expired: { zh: "已过期 {at}", en: "expired {at}" },
  addedBy: { zh: "{by} 添加于 {at}", en: "added by {by} at {at}" },
  updated: { zh: "更新于 {at}", en: "Updated {at}" },
  loadFailed: { zh: "加载失败，稍后重试", en: "Loading failed, retrying" },
  saveFailed: { zh: "保存失败：{error}", en: "Not saved: {error}" },
} satisfies Record<string, Texts>;

export const listNames = {
  resident: { zh: "业主车辆", en: "Resident" },
  visitor: { zh: "访客车辆", en: "Visitor" },
  deny: { zh: "禁止入场", en: "Denied" },
  unlisted: { zh: "临时车", en: "Unlisted" },
} satisfies Record<string, Texts>;

/** Everything the page script needs to render in one language. */
export function pageStrings(lang: Lang) {
  const pick = <K extends string>(table: Record<K, Texts>) => inLang(table, lang);
  return { ui: pick(ui), lists: pick(listNames) };
}
