import { guardRoomCss } from "../../console/guard-room-css.ts";

/** The labelling page's style: the console's dark look; one column on a phone, the frame first. */
export const labellingCss = String.raw`${guardRoomCss}
.progress{margin:0 0 12px;font-size:16px;color:#fff}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 340px;gap:18px;align-items:start}
.editor{min-width:0}
.frame-info{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:center;font-size:14px;margin-bottom:8px;min-height:22px}
.frame-info .meta{color:#9fb3c3;font-size:13px}
.stage{position:relative;background:#0f1a24;border-radius:6px;overflow:hidden}
#canvas{display:block;width:100%;height:auto;touch-action:none;cursor:crosshair;user-select:none;-webkit-user-select:none}
[hidden]{display:none !important}
.stage-empty{position:absolute;inset:0;margin:0;display:flex;align-items:center;justify-content:center;color:#9fb3c3;font-size:16px;background:#0f1a24}
.class-bar{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:6px;margin-top:10px}
.cls{padding:8px 4px;border-radius:6px;border:2px solid #34495e;background:#1b2631;color:#e8eef2;font-size:14px;cursor:pointer;min-height:40px}
.cls.active{color:#111;font-weight:bold}
.cls-ebike{border-color:#ff4d4f}.cls-ebike.active{background:#ff4d4f}
.cls-bicycle{border-color:#40a9ff}.cls-bicycle.active{background:#40a9ff}
.cls-stroller{border-color:#b37feb}.cls-stroller.active{background:#b37feb}
.cls-wheelchair{border-color:#36cfc9}.cls-wheelchair.active{background:#36cfc9}
.cls-trolley{border-color:#ffa940}.cls-trolley.active{background:#ffa940}
.cls-person{border-color:#73d13d}.cls-person.active{background:#73d13d}
.tools{display:flex;flex-wrap:wrap;gap:6px;margin-top:10px}
.tools button,.promote button{padding:8px 12px;border:1px solid #34495e;border-radius:6px;background:#233140;color:#fff;font-size:14px;cursor:pointer;min-height:40px}
.tools button:disabled,.promote button:disabled{opacity:.45;cursor:default}
button.primary{background:#2e86de;border-color:#2e86de}
button.warn{background:#b9770e;border-color:#b9770e}
button.danger{background:#922b21;border-color:#922b21}
button.armed{background:#e74c3c;border-color:#e74c3c}
kbd{font-family:ui-monospace,monospace;font-size:11px;padding:0 4px;border:1px solid #5d6d7e;border-radius:3px;color:#c8d6e5;background:#0f1a24}
.cls.active kbd{color:#111;background:#fff8}
.status{min-height:20px;margin:8px 0 0;font-size:14px;color:#9fb3c3}
.status.ok{color:#58d68d}.status.error{color:#ff7b72}.status.dirty{color:#f5b041}
.box-list{list-style:none;padding:0;margin:8px 0 0;display:flex;flex-wrap:wrap;gap:6px}
.box-list li{font-size:13px;padding:3px 8px;border-radius:10px;border:2px solid #5d6d7e;cursor:pointer}
.box-list li.suggestion{border-style:dashed;cursor:default;color:#c8d6e5}
.box-list li.selected{background:#34495e}
.legend{margin-top:14px;font-size:13px;color:#c8d6e5;background:#1b2631;border-radius:6px;padding:8px 12px}
.legend summary{cursor:pointer;color:#9fb3c3}
.legend dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:8px 0 0}
.legend dt{white-space:nowrap}.legend dd{margin:0}
.queue{background:#1b2631;border-radius:8px;padding:12px;min-width:0}
.queue h2{font-size:16px;margin:0 0 10px;display:flex;align-items:baseline;gap:8px}
.waiting{font-size:13px;color:#9fb3c3;font-weight:normal}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-bottom:10px;font-size:13px;color:#9fb3c3}
.filters select,.promote select{background:#0f1a24;color:#fff;border:1px solid #34495e;border-radius:5px;padding:5px 6px;font-size:14px;max-width:100%}
.segmented{display:flex}
.segmented button{background:#0f1a24;border:1px solid #34495e;color:#c8d6e5;padding:5px 10px;font-size:13px;cursor:pointer}
.segmented button:first-child{border-radius:5px 0 0 5px}.segmented button:last-child{border-radius:0 5px 5px 0;border-left:0}
.segmented button.active{background:#2e86de;border-color:#2e86de;color:#fff}
.frames{list-style:none;margin:0;padding:0;max-height:calc(100vh - 230px);overflow-y:auto;position:relative}
.frames li{margin:0 0 6px}
.frame{display:flex;gap:8px;width:100%;text-align:left;background:#0f1a24;border:2px solid transparent;border-radius:6px;padding:6px;color:#e8eef2;cursor:pointer;font-size:13px}
.frame.current{border-color:#2e86de}
.frame.done{opacity:.7}
.frame img{width:72px;height:54px;object-fit:cover;border-radius:4px;flex:none;background:#233140}
.frame .info{min-width:0;display:flex;flex-direction:column;gap:3px}
.frame .when{color:#9fb3c3;margin-left:6px}
.frame .lift{font-weight:bold}
.frame .done-by{color:#58d68d;font-size:12px}
.frame .score{color:#9fb3c3;font-family:ui-monospace,monospace;font-size:12px}
.badge{display:inline-block;font-size:12px;padding:1px 7px;border-radius:10px;background:#34495e;color:#fff;margin-right:4px}
.reason-hold{background:#c0392b}.reason-near_miss{background:#b9770e}.reason-marked{background:#2471a3}.reason-negative{background:#1e8449}.reason-disagreement{background:#7d3c98}
.verdict-ebike{background:#ff4d4f;color:#111}.verdict-no_ebike{background:#58d68d;color:#111}
.empty{color:#7f8c8d;font-size:14px}
.models{margin-top:24px;background:#1b2631;border-radius:8px;padding:14px 16px}
.models h2{font-size:17px;margin:0 0 10px}.models h3{font-size:15px;margin:16px 0 8px;color:#c8d6e5}
.model-state{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0 0 12px;font-size:14px}
.model-state dt{color:#9fb3c3}.model-state dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
.promote{display:flex;flex-wrap:wrap;gap:8px;align-items:center;font-size:14px;color:#9fb3c3}
.promote-result{margin-top:10px}
.promotions{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:10px}
.promotion{background:#0f1a24;border-radius:6px;padding:10px;border-left:5px solid #5d6d7e;font-size:13px}
.promotion.accepted{border-left-color:#1e8449}.promotion.refused{border-left-color:#c0392b}.promotion.rollback{border-left-color:#b9770e}
.promotion .head{margin-bottom:6px;color:#c8d6e5}
.verdict{font-weight:bold}.verdict.accepted{color:#58d68d}.verdict.refused{color:#ff7b72}
.compare{border-collapse:collapse;width:100%;margin:6px 0;font-size:13px}
.compare th,.compare td{border-bottom:1px solid #2c3e50;padding:4px 6px;text-align:left;vertical-align:top}
.compare th{color:#9fb3c3;font-weight:normal}
.compare .model-id{font-family:ui-monospace,monospace;font-size:12px;color:#e8eef2;word-break:break-all}
.compare td.better{color:#58d68d}.compare td.worse{color:#ff7b72}
.reasons{margin:4px 0 0;padding-left:18px;color:#c8d6e5}
@media (max-width:820px){
  .layout{grid-template-columns:minmax(0,1fr)}
  .frames{max-height:none}
  .class-bar{grid-template-columns:repeat(3,minmax(0,1fr))}
  .tools button{flex:1 1 30%;min-height:44px}
  .cls{min-height:44px}
  .promotions{grid-template-columns:minmax(0,1fr)}
}
`;
