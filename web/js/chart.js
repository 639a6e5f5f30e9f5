// uPlot charts (loaded on demand, so the plan screen never pays for it), each with a data
// table beside it for keyboard and screen-reader users.
import { useEffect, useRef } from "preact/hooks";
import { html } from "./html.js";

let uPlotModule = null;
function loadUPlot() {
  if (!uPlotModule) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = "vendor/uplot-1.6.32/uPlot.min.css";
    document.head.append(css);
    uPlotModule = import("../vendor/uplot-1.6.32/uPlot.esm.js").then((m) => m.default);
  }
  return uPlotModule;
}

export const day = (iso) => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** `series`: uPlot series options after the x axis; `data`: [xs, ...ys]; `bands`: uPlot bands. */
export function Chart({ title, series, data, bands = [], height = 320 }) {
  const box = useRef(null);
  useEffect(() => {
    let plot = null;
    let observer = null;
    let cancelled = false;
    const element = box.current;
    loadUPlot().then((uPlot) => {
      if (cancelled || !element) return;
      const width = () => Math.max(280, element.clientWidth);
      plot = new uPlot(
        {
          width: width(),
          height,
          series: [{ label: "Week" }, ...series],
          bands,
          scales: { x: { time: true } },
          axes: [{}, { size: 70 }],
          legend: { live: false },
        },
        data,
        element,
      );
      observer = new ResizeObserver(() => {
        if (!cancelled) plot.setSize({ width: width(), height });
      });
      observer.observe(element);
    });
    return () => {
      cancelled = true;
      if (observer) observer.disconnect();
      if (plot) plot.destroy();
    };
  }, [JSON.stringify(data), JSON.stringify(series.map((s) => s.label))]);
  return html`<figure class="chart">
    <figcaption>${title}</figcaption>
    <div ref=${box} class="chart-box" role="img" aria-label=${`${title} (chart; the same figures are in the table below)`}></div>
  </figure>`;
}
