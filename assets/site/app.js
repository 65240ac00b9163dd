// kpi-ledger's pages: the ranking chart (Apache ECharts, vendored beside this file) and the pickers.
// Loaded as a file of the site's own (Content-Security-Policy: script-src 'self'); no inline script.
(function () {
  'use strict';

  // The picker form shows again as soon as a choice changes.
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  var holder = document.getElementById('ranking-chart');
  if (!holder || typeof echarts === 'undefined') { return; }
  var data = JSON.parse(holder.getAttribute('data-chart'));
  var palette = ['#2f6f4f', '#3f7fbf', '#d9a33b', '#c0504d', '#7f6fa8', '#6b8e23'];
  var chart = echarts.init(holder, null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 16, top: 32, bottom: 96 },
    // Rich text tooltips are drawn on the canvas: no HTML with inline styles (the CSP allows none).
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    xAxis: {
      type: 'category',
      data: data.labels,
      axisLabel: { interval: 0, rotate: 40, fontFamily: 'Noto Sans CJK SC, Noto Sans SC, sans-serif' }
    },
    yAxis: { type: 'value', name: data.scoreName, min: data.min, max: 100 },
    series: [{
      type: 'bar',
      name: data.scoreName,
      data: data.scores.map(function (score, index) {
        return { value: score, itemStyle: { color: palette[(data.tiers[index] - 1) % palette.length] } };
      }),
      label: { show: true, position: 'top', formatter: function (p) { return data.tierLabels[p.dataIndex]; } }
    }]
  });
  window.addEventListener('resize', function () { chart.resize(); });
}());
