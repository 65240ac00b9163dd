// kpi-ledger's pages: the ranking chart, the unit's trend chart and the analysis report's charts
// (Apache ECharts, vendored beside this file), the pickers and the documents' print button. Loaded as a file of the site's own (Content-Security-Policy:
// script-src 'self'); no inline script. A chart's data comes from its holder's data- attribute.
(function () {
  'use strict';

  // A picker form shows again as soon as a choice changes.
  document.querySelectorAll('form[data-autosubmit] select').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });

  // The replay: a slider over the days from the scheme's first event to today, shown only with script
  // (the date field works without it). Moving it writes the day into the date field; letting go shows
  // the ranking as it stood that day.
  var slider = document.getElementById('replay-slider');
  if (slider && slider.form) {
    var field = slider.form.querySelector('input[name=as_of]');
    var first = slider.getAttribute('data-first').split('-');
    var start = Date.UTC(Number(first[0]), Number(first[1]) - 1, Number(first[2]));
    var day = function () { return new Date(start + Number(slider.value) * 86400000).toISOString().slice(0, 10); };
    slider.hidden = false;
    slider.addEventListener('input', function () { field.value = day(); });
    slider.addEventListener('change', function () { field.value = day(); slider.form.submit(); });
  }

  // A document's print button: the browser's print dialog (the style sheet's print rules lay it out).
  document.querySelectorAll('button[data-print]').forEach(function (button) {
    button.addEventListener('click', function () { window.print(); });
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

  // The analysis report: lost points by problem category (a pie) and by section (bars). Drawn at twice
  // the screen's resolution, at the sheet's width, so that they print sharply on A4.
  function pieChart(holder) {
    var data = JSON.parse(holder.getAttribute('data-pie'));
    var chart = echarts.init(holder, null, { renderer: 'canvas', devicePixelRatio: 2 });
    chart.setOption({
      animation: false,
      color: palette,
      tooltip: { trigger: 'item', renderMode: 'richText' },
      legend: { orient: 'vertical', left: 0, top: 'middle', textStyle: { fontFamily: font } },
      series: [{
        type: 'pie', name: data.name, radius: ['30%', '65%'], center: ['62%', '50%'],
        data: data.labels.map(function (label, index) { return { name: label, value: data.values[index] }; }),
        label: { formatter: '{c}（{d}%）', fontFamily: font }
      }]
    });
    return chart;
  }

  function barsChart(holder) {
    var data = JSON.parse(holder.getAttribute('data-bars'));
    var chart = echarts.init(holder, null, { renderer: 'canvas', devicePixelRatio: 2 });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 24, bottom: 72 },
      tooltip: { trigger: 'axis', renderMode: 'richText' },
      xAxis: { type: 'category', data: data.labels, axisLabel: { interval: 0, rotate: 30, fontFamily: font } },
      yAxis: { type: 'value', name: data.name },
      series: [{
        type: 'bar', name: data.name, data: data.values, itemStyle: { color: palette[3] },
        label: { show: true, position: 'top', formatter: function (p) { return p.value.toFixed(2); } }
      }]
    });
    return chart;
  }

  var charts = [];
  var ranking = document.getElementById('ranking-chart');
  if (ranking) { charts.push(rankingChart(ranking)); }
  var trend = document.getElementById('trend-chart');
  if (trend) { charts.push(trendChart(trend)); }
  document.querySelectorAll('[data-pie]').forEach(function (holder) { charts.push(pieChart(holder)); });
  document.querySelectorAll('[data-bars]').forEach(function (holder) { charts.push(barsChart(holder)); });
  window.addEventListener('resize', function () { charts.forEach(function (chart) { chart.resize(); }); });
}());
