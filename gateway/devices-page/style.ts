import { guardRoomCss } from "../console/guard-room-css.ts";

/** The devices page's style: the console's dark look; cards that fill a 1080p screen and stack on a 360 px phone. */
export const devicesCss = String.raw`${guardRoomCss}
[hidden]{display:none !important}
.summary{margin:0 0 12px;font-size:16px;color:#fff}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin-bottom:14px;font-size:14px;color:#9fb3c3}
#search{flex:1 1 260px;max-width:420px;background:#0f1a24;color:#fff;border:1px solid #34495e;border-radius:6px;padding:9px 10px;font-size:15px}
select{background:#0f1a24;color:#fff;border:1px solid #34495e;border-radius:6px;padding:8px 6px;font-size:15px}
.segmented{display:flex}
.segmented button{background:#0f1a24;border:1px solid #34495e;color:#c8d6e5;padding:8px 12px;font-size:14px;cursor:pointer;min-height:40px}
.segmented button+button{border-left:0}
.segmented button:first-child{border-radius:6px 0 0 6px}.segmented button:last-child{border-radius:0 6px 6px 0}
.segmented button.active{background:#2e86de;border-color:#2e86de;color:#fff}
.empty{background:#1b2631;border-radius:8px;padding:28px 20px;text-align:center;color:#c8d6e5;font-size:15px}
.empty button{margin-top:8px;padding:8px 14px;border:1px solid #34495e;border-radius:6px;background:#233140;color:#fff;font-size:14px;cursor:pointer;min-height:40px}
.devices{list-style:none;margin:0;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:10px}
.device{background:#1b2631;border-radius:8px;padding:10px 12px;border-left:6px solid #5d6d7e;min-width:0}
.device.online{border-left-color:#27ae60}.device.offline{border-left-color:#e74c3c}
.device .head{display:flex;align-items:baseline;gap:8px;flex-wrap:wrap}
.device .id{font-weight:bold;font-size:16px;word-break:break-all}
.device .kind{color:#9fb3c3;font-size:13px}
.badge{display:inline-block;font-size:12px;padding:2px 8px;border-radius:10px;background:#34495e;color:#fff}
.badge.online{background:#1e8449}.badge.offline{background:#c0392b}.badge.unknown{background:#7f8c8d}
.badge.note{background:#7d6608}
.line{margin:5px 0 0;font-size:14px;color:#c8d6e5;overflow-wrap:anywhere}
.line.meta{color:#9fb3c3;font-size:13px}
.line.values{color:#fff}
.line.rejects{color:#f5b041}
.line.reject-detail{color:#9fb3c3;font-size:12px;font-family:ui-monospace,monospace}
.device a{color:#5dade2}
.updated{color:#7f8c8d;font-size:12px;margin-top:14px}
@media (max-width:820px){
  #search{max-width:none;flex-basis:100%}
  .devices{grid-template-columns:minmax(0,1fr)}
  .segmented{flex:1 1 100%}.segmented button{flex:1;padding:8px 4px}
}
`;
