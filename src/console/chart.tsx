/**
 * One series of the overview (GET /admin/overview: 60 one-minute counts) as lines, one per
 * outcome: SVG only, so the console's CSP needs no inline style or script. The x axis is time,
 * ticked every 10 minutes in the operator's clock (HH:MM); the y axis is the count per minute.
 */
import type { Words } from "./i18n.js";

const COLORS = ["#07c160", "#1677ff", "#f53f3f", "#ff7d00", "#722ed1", "#86909c", "#14c9c9", "#d91ad9"];
const WIDTH = 600;
const HEIGHT = 160;
/** Room left of the plot for the y labels, and below it for the x ticks and title. */
const LEFT = 36;
const AXIS = 36;

const hhmm = (iso: string) => {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
};

export function Chart(props: { id: string; title: string; counts: Record<string, number[]>; minutes: string[]; t: Words }) {
  const { id, title, counts, minutes, t } = props;
  const outcomes = Object.keys(counts).sort();
  const max = Math.max(1, ...outcomes.flatMap((o) => counts[o] ?? []));
  const last = Math.max(1, minutes.length - 1);
  const x = (i: number) => LEFT + (i / last) * (WIDTH - LEFT);
  const y = (n: number) => HEIGHT - (n / max) * (HEIGHT - 10);
  // Every 10th minute and the last one: six or seven ticks an operator can read a time off.
  const ticks = minutes.map((m, i) => ({ m, i })).filter(({ i }) => i % 10 === 0 || i === minutes.length - 1);
  const legendY = HEIGHT + AXIS + 10;
  return (
    <section>
      <h2>{title}</h2>
      <svg id={id} viewBox={`0 0 ${WIDTH} ${legendY + 14}`} width="100%" role="img" aria-label={title}>
        <line x1={LEFT} y1={HEIGHT} x2={WIDTH} y2={HEIGHT} stroke="#c9cdd4" />
        <line x1={LEFT} y1="0" x2={LEFT} y2={HEIGHT} stroke="#c9cdd4" />
        <text x={LEFT - 4} y="10" font-size="10" fill="#86909c" text-anchor="end">
          {max}
        </text>
        <text x={LEFT - 4} y={HEIGHT} font-size="10" fill="#86909c" text-anchor="end">
          0
        </text>
        <text
          class="y-title"
          x="10"
          y={HEIGHT / 2}
          transform={`rotate(-90 10 ${HEIGHT / 2})`}
          font-size="10"
          fill="#4e5969"
          text-anchor="middle"
        >
          {t.axisCount}
        </text>
        {ticks.map(({ m, i }) => (
          <g>
            <line x1={x(i)} y1={HEIGHT} x2={x(i)} y2={HEIGHT + 4} stroke="#c9cdd4" />
            <text
              class="x-tick"
              x={x(i)}
              y={HEIGHT + 14}
              font-size="10"
              fill="#86909c"
              text-anchor={i === minutes.length - 1 ? "end" : "middle"}
            >
              {hhmm(m)}
            </text>
          </g>
        ))}
        <text class="x-title" x={(LEFT + WIDTH) / 2} y={HEIGHT + 28} font-size="10" fill="#4e5969" text-anchor="middle">
          {t.axisTime}
        </text>
        {outcomes.map((o, k) => (
          <polyline
            data-outcome={o}
            fill="none"
            stroke-width="2"
            stroke={COLORS[k % COLORS.length]}
            points={(counts[o] ?? []).map((n, i) => `${x(i).toFixed(1)},${y(n).toFixed(1)}`).join(" ")}
          />
        ))}
        {outcomes.map((o, k) => (
          <g>
            <rect x={k * 120} y={legendY} width="10" height="10" fill={COLORS[k % COLORS.length]} />
            <text x={k * 120 + 14} y={legendY + 9} font-size="11" fill="#4e5969">
              {o} ({(counts[o] ?? []).reduce((a, b) => a + b, 0)})
            </text>
          </g>
        ))}
      </svg>
    </section>
  );
}
