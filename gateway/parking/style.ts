import { guardRoomCss } from "../console/guard-room-css.ts";

/** The parking page's style: the console's dark look; car park cards that fill a 1080p screen and stack on a 360 px phone. */
export const parkingCss = String.raw`${guardRoomCss}
[hidden]{display:none !important}
h2{font-size:16px;margin:18px 0 10px;color:#fff}
.note,.meta{color:#9fb3c3;font-size:13px}
.empty{background:#1b2631;border-radius:8px;padding:18px 16px;color:#c8d6e5;font-size:15px;list-style:none}
.parks{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.park{background:#1b2631;border-radius:8px;padding:12px 14px;border-left:6px solid #27ae60;min-width:0}
.park.full{border-left-color:#e74c3c}
.park .head{display:flex;gap:8px;align-items:baseline}.park .name{font-weight:bold;font-size:17px}
.park .cars{font-size:24px;margin:6px 0;color:#fff}
.bar{height:8px;background:#0f1a24;border-radius:4px;overflow:hidden}.bar span{display:block;height:100%;background:#2e86de}
.line{margin:6px 0 0;font-size:14px;color:#c8d6e5;overflow-wrap:anywhere}
.badge{display:inline-block;font-size:12px;padding:2px 8px;border-radius:10px;background:#34495e;color:#fff}
.badge.full,.badge.deny{background:#c0392b}.badge.resident{background:#1e8449}.badge.visitor{background:#7d6608}
.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin-top:10px;font-size:13px;color:#9fb3c3}
.row label{display:flex;flex-direction:column;gap:3px;flex:1 1 140px;min-width:0}
input,select{background:#0f1a24;color:#fff;border:1px solid #34495e;border-radius:6px;padding:8px;font-size:15px;min-height:40px;width:100%}
button{padding:8px 14px;border:1px solid #2e86de;border-radius:6px;background:#2e86de;color:#fff;font-size:14px;cursor:pointer;min-height:40px}
button.remove{background:#233140;border-color:#34495e;margin-left:auto}
.rows{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:6px}
.row-item{background:#1b2631;border-radius:8px;padding:8px 12px;display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;min-width:0}
.row-item .plate{font-family:ui-monospace,monospace;font-weight:bold;word-break:break-all}
.status{color:#f5b041;font-size:14px;min-height:1em}
.updated{color:#7f8c8d;font-size:12px;margin-top:14px}
@media (max-width:820px){
  .parks{grid-template-columns:minmax(0,1fr)}
}
`;
