"use strict";
// The detectors' drop zones: post the image to the score endpoint, show the verdict and the image's score against the
// detector's validation scores (the histogram stored in its calibration, or its quantiles in older bundles).
const fmt = v => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(3) : v.toPrecision(4);

function draw(canvas, cal, score) {
  const dpr = window.devicePixelRatio || 1, W = canvas.clientWidth || 640, H = canvas.clientHeight || 130;
  canvas.width = W * dpr; canvas.height = H * dpr;
  const g = canvas.getContext("2d"); g.scale(dpr, dpr); g.clearRect(0, 0, W, H);
  const h = cal.histogram, q = cal.quantiles || {};
  let lo = h ? h.low : q.p0, hi = h ? h.high : q.p100;
  if (hi <= lo) { hi = lo + 1; }
  const span = hi - lo, L = 12, R = W - 12, top = 22, base = H - 34;
  let xlo = lo, xhi = hi, clipped = 0;
  if (score !== null) {  // widen the axis by up to a quarter to show the score; beyond that, point at it
    if (score < lo) { xlo = Math.max(score, lo - span / 4); clipped = score < xlo ? -1 : 0; }
    if (score > hi) { xhi = Math.min(score, hi + span / 4); clipped = score > xhi ? 1 : 0; }
  }
  const x = v => L + (Math.min(Math.max(v, xlo), xhi) - xlo) / (xhi - xlo) * (R - L);
  g.fillStyle = "#9bb3e0";
  if (h) {
    const max = Math.max(...h.counts), n = h.counts.length;
    h.counts.forEach((c, i) => {
      const x0 = x(lo + span * i / n), x1 = x(lo + span * (i + 1) / n), bh = c / max * (base - top);
      g.fillRect(x0, base - bh, Math.max(1, x1 - x0 - 1), bh);
    });
  } else {
    g.fillRect(x(q.p25), top + 20, x(q.p75) - x(q.p25), base - top - 40);
    g.fillRect(x(q.p5), (top + base) / 2 - 1, x(q.p95) - x(q.p5), 2);
  }
  g.strokeStyle = "#59637a"; g.beginPath(); g.moveTo(L, base + 0.5); g.lineTo(R, base + 0.5); g.stroke();
  g.fillStyle = "#59637a"; g.font = "12px system-ui, sans-serif";
  g.textAlign = "left"; g.fillText(fmt(lo), x(lo), base + 16);
  g.textAlign = "right"; g.fillText(fmt(hi) + (h && h.above ? " (+" + h.above + " above)" : ""), x(hi), base + 16);
  g.textAlign = "center"; g.fillText("validation scores of " + cal.n + " in-distribution images" + (h ? "" : " (quartiles, 5-95%)"), (L + R) / 2, H - 3);
  g.strokeStyle = "#b3261e"; g.setLineDash([5, 4]); g.beginPath(); g.moveTo(x(cal.threshold), top - 8); g.lineTo(x(cal.threshold), base); g.stroke();
  g.setLineDash([]); g.fillStyle = "#b3261e"; g.fillText("threshold " + fmt(cal.threshold), Math.min(Math.max(x(cal.threshold), 70), W - 70), top - 10);
  if (score !== null) {
    const sx = x(score), ood = score > cal.threshold;
    g.fillStyle = ood ? "#b3261e" : "#1e7a34";
    g.beginPath(); g.moveTo(sx, base - 2); g.lineTo(sx - 7, base - 16); g.lineTo(sx + 7, base - 16); g.fill();
    g.fillRect(sx - 1, top, 2, base - top - 14);
    const label = (clipped > 0 ? "\u2192 " : clipped < 0 ? "\u2190 " : "") + "this image " + fmt(score);
    g.textAlign = sx > W / 2 ? "right" : "left"; g.fillText(label, sx + (sx > W / 2 ? -10 : 10), top + 12);
  }
}

async function score(article, cal, file) {
  const verdict = article.querySelector(".verdict"), canvas = article.querySelector("canvas");
  verdict.className = "verdict"; verdict.textContent = "scoring " + file.name + "\u2026"; delete verdict.dataset.verdict;
  try {
    const r = await fetch("v1/detectors/" + encodeURIComponent(article.dataset.name) + "/score",
      { method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file });
    const j = await r.json();
    if (!r.ok) {
      verdict.className = "verdict error"; verdict.dataset.verdict = "error";
      verdict.textContent = file.name + ": " + j.error; draw(canvas, cal, null); return;
    }
    verdict.className = "verdict " + (j.is_ood ? "ood" : "in"); verdict.dataset.verdict = j.is_ood ? "ood" : "in";
    verdict.dataset.score = j.score;
    verdict.textContent = file.name + ": " + (j.is_ood ? "out of distribution" : "in distribution")
      + " (score " + fmt(j.score) + ", threshold " + fmt(j.threshold) + ")";
    draw(canvas, cal, j.score);
  } catch (e) {
    verdict.className = "verdict error"; verdict.dataset.verdict = "error"; verdict.textContent = "the request failed: " + e;
  }
}

for (const article of document.querySelectorAll("article.detector")) {
  const cal = JSON.parse(article.querySelector("script.calibration-data").textContent);
  const canvas = article.querySelector("canvas"), input = article.querySelector("input[type=file]"), drop = article.querySelector(".drop");
  draw(canvas, cal, null);
  input.addEventListener("change", () => { if (input.files.length) { score(article, cal, input.files[0]); } });
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => {
    e.preventDefault(); drop.classList.remove("over");
    if (e.dataTransfer.files.length) { score(article, cal, e.dataTransfer.files[0]); }
  });
}
