import type { Texts } from "../i18n.ts";
import type { CloseReason, OrderEvent, OrderState, OrderType } from "./types.ts";

/** Names staff read on the pages, in robot messages and in the PDF. */
export const typeNames: Record<OrderType, Texts> = {
  repair: { zh: "维修", en: "Repair" },
  inspection: { zh: "巡检", en: "Inspection" },
  incident: { zh: "事件", en: "Incident" },
  complaint: { zh: "投诉", en: "Complaint" },
};

export const stateNames: Record<OrderState, Texts> = {
  open: { zh: "待派单", en: "Open" },
  assigned: { zh: "已派单", en: "Assigned" },
  accepted: { zh: "已接单", en: "Accepted" },
  in_progress: { zh: "处理中", en: "In progress" },
  done: { zh: "已完工", en: "Done" },
  signed_off: { zh: "已验收", en: "Signed off" },
  closed: { zh: "已关闭", en: "Closed" },
};

export const eventNames: Record<OrderEvent, Texts> = {
  created: { zh: "创建", en: "Created" },
  assigned: { zh: "派单", en: "Assigned" },
  accepted: { zh: "接单", en: "Accepted" },
  started: { zh: "开始处理", en: "Started" },
  photo: { zh: "上传照片", en: "Photo added" },
  done: { zh: "完工签字", en: "Done, signed by the worker" },
  signed_off: { zh: "主管验收签字", en: "Signed off by the supervisor" },
  closed: { zh: "关闭", en: "Closed" },
  reminded: { zh: "超时提醒处理人", en: "Overdue: assignee reminded" },
  escalated: { zh: "超时升级至主管", en: "Overdue: escalated to the supervisor" },
  held: { zh: "证据法律保全", en: "Evidence put on legal hold" },
  released: { zh: "解除法律保全", en: "Legal hold released" },
};

export const reasonNames: Record<CloseReason, Texts> = {
  false_alarm: { zh: "误报", en: "False alarm" },
  duplicate: { zh: "重复", en: "Duplicate" },
};
