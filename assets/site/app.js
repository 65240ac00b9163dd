// kpi-ledger's pages: the ranking chart and the unit's trend chart (Apache ECharts, vendored beside
// this file) and the pickers. Loaded as a file of the site's own (Content-Security-Policy:
// script-src 'self'); no inline script. A chart's data comes from its holder's data- attribute.
(function () {
  'use strict';

  // A picker form shows again as soon as a choice changes.
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  if (typeof echarts === 'undefined') { return; }
  var font = 'Noto Sans CJK SC, Noto Sans SC, sans-serif';
  var palette = ['#2f6f4f', '#3f7fbf', '#d9a33b', '#c0504d', '#7f6fa8', '#6b8e23'];

  // The overview: a scheme's ranking as bars coloured by tier.
  function rankingChart(holder) {
    var data = JSON.parse(holder.getAttribute('data-chart'));
    var chart = echarts.init(holder, null, { renderer: 'canvas' });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 32, bottom: 96 },
      // Rich text tooltips are drawn on the canvas: no HTML with inline styles (the CSP allows none).
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      xAxis: { type: 'category', data: data.labels, axisLabel: { interval: 0, rotate: 40, fontFamily: font } },
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
    return chart;
  }

  // The unit page: score (left axis) and rank (right axis, first place on top) by period.
  function trendChart(holder) {
    var data = JSON.parse(holder.getAttribute('data-trend'));
    var chart = echarts.init(holder, null, { renderer: 'canvas' });
    // The rank axis runs from 0 to one past the last place, upside down, and names only real places:
    // first place on top, last place just above the bottom edge.
    var place = function (value) { return value >= 1 && value <= data.peers ? String(value) : ''; };
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 48, top: 56, bottom: 32 },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      legend: { top: 0, data: [data.scoreName, data.rankName], textStyle: { fontFamily: font } },
      xAxis: { type: 'category', data: data.labels, axisLabel: { fontFamily: font } },
      yAxis: [
        { type: 'value', name: data.scoreName, min: data.min, max: 100 },
        {
          type: 'value', name: data.rankName, min: 0, max: data.peers + 1, inverse: true, minInterval: 1,
          splitLine: { show: false }, axisLabel: { formatter: place }
        }
      ],
      series: [
        {
          type: 'line', name: data.scoreName, yAxisIndex: 0, data: data.scores, connectNulls: false,
          itemStyle: { color: palette[0] },
          label: { show: true, position: 'top', formatter: function (p) { return p.value.toFixed(2); } }
        },
        {
          type: 'line', name: data.rankName, yAxisIndex: 1, data: data.ranks, connectNulls: false,
          itemStyle: { color: palette[2] }, lineStyle: { type: 'dashed' },
          label: { show: true, position: 'bottom' }
        }
      ]
    });
    return chart;
  }

  var charts = [];
  var ranking = document.getElementById('ranking-chart');
  if (ranking) { charts.push(rankingChart(ranking)); }
  var trend = document.getElementById('trend-chart');
  if (trend) { charts.push(trendChart(trend)); }
  window.addEventListener('resize', function () { charts.forEach(function (chart) { chart.resize(); }); });
}());
