// The report page's charts, drawn with Apache ECharts from the JSON block `report-data`.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var L = D.labels;
  function lab(k) { return Object.prototype.hasOwnProperty.call(L, k) ? L[k] : k; }
  var locale = D.lang === 'zh' ? 'zh-CN' : 'en-US';
  function fmt(v, d) {
    if (v === null || v === undefined || isNaN(v)) { return '–'; }
    return Number(v).toLocaleString(locale, { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  var months = D.lang === 'zh'
    ? ['1月', '2月', '3月', '4月', '5月', '6月', '7月', '8月', '9月', '10月', '11月', '12月']
    : ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  var stepsPerDay = Math.max(1, Math.round(24 / D.step_h));
  var n = D.times.length;
  var charts = [];
  var linked = [];
  var view = { start: 0, length: Math.min(n, 7 * stepsPerDay) };

  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var chart = echarts.init(el, null, { renderer: 'canvas' });
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function timeAxis() {
    return { type: 'category', data: D.times, boundaryGap: false, axisLabel: { hideOverlap: true } };
  }

  function zoom(linkedChart) {
    var end = Math.min(n - 1, view.start + view.length - 1);
    return [
      { type: 'inside', startValue: view.start, endValue: end },
      { type: 'slider', startValue: view.start, endValue: end, height: 22, bottom: 8 }
    ];
  }

  function applyView() {
    var end = Math.min(n - 1, view.start + view.length - 1);
    linked.forEach(function (c) { c.dispatchAction({ type: 'dataZoom', startValue: view.start, endValue: end }); });
  }

  // Annual Sankey.
  make('chart-sankey', {
    tooltip: {
      trigger: 'item',
      formatter: function (p) {
        if (p.dataType === 'edge') {
          return lab(p.data.source) + ' → ' + lab(p.data.target) + ': ' + fmt(p.data.value, 1) + ' MWh';
        }
        return lab(p.name) + ': ' + fmt(p.value, 1) + ' MWh';
      }
    },
    series: [{
      type: 'sankey',
      left: 10, right: 170, top: 10, bottom: 10,
      nodeAlign: 'justify',
      emphasis: { focus: 'adjacency' },
      data: D.sankey.nodes.map(function (x) { return { name: x.key, itemStyle: { color: x.color } }; }),
      links: D.sankey.links,
      label: { formatter: function (p) { return lab(p.name); } },
      lineStyle: { color: 'gradient', curveness: 0.5, opacity: 0.35 }
    }]
  });

  // Dispatch per carrier: supplies stacked above zero, uses below.
  D.dispatch.forEach(function (g) {
    var chart = make('chart-dispatch-' + g.carrier, {
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 0) + ' kW'; } },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 70, right: 24, top: 36, bottom: 64 },
      xAxis: timeAxis(),
      yAxis: { type: 'value', name: 'kW' },
      dataZoom: zoom(),
      series: g.flows.map(function (f) {
        return {
          name: lab(f.key), type: 'line', stack: 'balance', stackStrategy: 'samesign',
          areaStyle: { opacity: 0.85 }, lineStyle: { width: 0 }, showSymbol: false,
          sampling: 'lttb', color: f.color, data: f.values
        };
      })
    });
    if (chart) { linked.push(chart); }
  });

  // Store levels over the year, one panel per store.
  if (D.stores.length > 0) {
    var panel = 150;
    var storageEl = document.getElementById('chart-storage');
    if (storageEl) { storageEl.style.height = (D.stores.length * panel + 70) + 'px'; }
    var axes = D.stores.map(function (s, i) { return i; });
    var palette = ['#2e86de', '#e59866', '#c0392b', '#16a085', '#8e44ad', '#f4c20d'];
    make('chart-storage', {
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 1) + ' %'; } },
      axisPointer: { link: [{ xAxisIndex: 'all' }] },
      title: D.stores.map(function (s, i) {
        return { text: s.name + ' · ' + fmt(s.e_max_kwh / 1000, 1) + ' MWh', top: i * panel, left: 60, textStyle: { fontSize: 12, fontWeight: 'normal' } };
      }),
      grid: D.stores.map(function (s, i) { return { left: 60, right: 24, top: i * panel + 24, height: panel - 50 }; }),
      xAxis: D.stores.map(function (s, i) {
        var a = timeAxis();
        a.gridIndex = i;
        if (i < D.stores.length - 1) { a.axisLabel = { show: false }; }
        return a;
      }),
      yAxis: D.stores.map(function (s, i) { return { type: 'value', gridIndex: i, min: 0, max: 100, name: '%', splitNumber: 2 }; }),
      dataZoom: [{ type: 'inside', xAxisIndex: axes }, { type: 'slider', xAxisIndex: axes, height: 22, bottom: 8 }],
      series: D.stores.map(function (s, i) {
        return { name: s.name, type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: false, sampling: 'lttb', color: palette[i % palette.length], areaStyle: { opacity: 0.15 }, data: s.values };
      })
    });
  }

  // Monthly balances.
  D.monthly.forEach(function (g) {
    make('chart-monthly-' + g.carrier, {
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 1) + ' MWh'; } },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 70, right: 24, top: 36, bottom: 28 },
      xAxis: { type: 'category', data: months },
      yAxis: { type: 'value', name: 'MWh' },
      series: g.flows.map(function (f) {
        return { name: lab(f.key), type: 'bar', stack: 'balance', stackStrategy: 'samesign', color: f.color, data: f.values };
      })
    });
  });

  // Duration curves.
  make('chart-duration', {
    tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 0) + ' kW'; } },
    legend: { top: 0 },
    grid: { left: 70, right: 24, top: 36, bottom: 40 },
    xAxis: { type: 'value', name: lab('hours'), nameLocation: 'middle', nameGap: 26, min: 0 },
    yAxis: { type: 'value', name: 'kW' },
    series: [
      { name: lab('import'), type: 'line', showSymbol: false, color: D.duration.import_color, data: D.duration.import },
      { name: lab('curtailment'), type: 'line', showSymbol: false, color: D.duration.curtailment_color, areaStyle: { opacity: 0.3 }, data: D.duration.curtailment }
    ]
  });

  // Internal marginal prices next to the tariff.
  var priceSeries = D.prices.buses.map(function (b) {
    return { name: lab(b.carrier) + ': ' + b.name, type: 'line', showSymbol: false, sampling: 'lttb', lineStyle: { width: 1.2, type: b.carrier === 'heat' ? 'dashed' : b.carrier === 'cold' ? 'dotted' : 'solid' }, data: b.values };
  }).concat(D.prices.tariff.map(function (t) {
    return { name: lab('tariff') + ': ' + t.name, type: 'line', step: 'end', showSymbol: false, color: '#17202a', lineStyle: { width: 2 }, data: t.values };
  }));
  var prices = make('chart-prices', {
    tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 4) + ' ' + lab('price'); } },
    legend: { type: 'scroll', top: 0 },
    grid: { left: 70, right: 24, top: 36, bottom: 64 },
    xAxis: timeAxis(),
    yAxis: { type: 'value', name: lab('price') },
    dataZoom: zoom(),
    series: priceSeries
  });
  if (prices) { linked.push(prices); }

  // The network check: bus voltages against the band, losses, and each element's highest loading.
  if (D.network) {
    var band = D.network.band;
    var marks = band ? { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#b03a2e' },
      label: { position: 'insideEndTop', formatter: lab('band') + ' {c}' }, data: [{ yAxis: band[0] }, { yAxis: band[1] }] } : undefined;
    var voltage = make('chart-network-voltage', {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 70, right: 70, top: 36, bottom: 64 },
      xAxis: timeAxis(),
      yAxis: [
        {
          type: 'value', name: 'p.u.',
          min: function (v) { return Math.floor(((band ? Math.min(v.min, band[0]) : v.min) - 0.01) * 100) / 100; },
          max: function (v) { return Math.ceil(((band ? Math.max(v.max, band[1]) : v.max) + 0.01) * 100) / 100; }
        },
        { type: 'value', name: 'kW', splitLine: { show: false } }
      ],
      dataZoom: zoom(),
      series: [
        { name: lab('v_min'), type: 'line', showSymbol: false, sampling: 'lttb', color: '#2e86de', data: D.network.v_min, markLine: marks },
        { name: lab('v_max'), type: 'line', showSymbol: false, sampling: 'lttb', color: '#c0392b', data: D.network.v_max },
        { name: lab('network_losses'), type: 'line', yAxisIndex: 1, showSymbol: false, sampling: 'lttb', color: '#95a5a6', areaStyle: { opacity: 0.25 }, lineStyle: { width: 0.5 }, data: D.network.losses_kw }
      ]
    });
    if (voltage) { linked.push(voltage); }
    make('chart-network-loading', {
      tooltip: { trigger: 'axis', valueFormatter: function (v) { return fmt(v, 1) + ' %'; } },
      grid: { left: 70, right: 24, top: 30, bottom: 50 },
      xAxis: { type: 'category', data: D.network.loading.map(function (x) { return x[0]; }), axisLabel: { interval: 0, rotate: 20 } },
      yAxis: { type: 'value', name: lab('max_loading') },
      series: [{
        type: 'bar', data: D.network.loading.map(function (x) {
          return { value: x[1], itemStyle: { color: x[1] > 100 ? '#b03a2e' : '#1f3a93' } };
        }),
        markLine: { silent: true, symbol: 'none', lineStyle: { color: '#b03a2e' }, data: [{ yAxis: 100 }] }
      }]
    });
  }

  // One time window for the dispatch and price charts.
  echarts.connect(linked);
  var windows = { day: stepsPerDay, week: 7 * stepsPerDay, month: 30 * stepsPerDay, year: n };
  var buttons = document.querySelectorAll('.zoom button');
  function mark(name) {
    buttons.forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-window') === name); });
  }
  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var name = b.getAttribute('data-window');
      view.length = Math.min(n, windows[name]);
      if (name === 'year') { view.start = 0; }
      view.start = Math.max(0, Math.min(view.start, n - view.length));
      mark(name);
      applyView();
    });
  });
  linked.forEach(function (c) {
    c.on('dataZoom', function () {
      var o = c.getOption().dataZoom[0];
      if (o && o.startValue !== undefined) {
        view.start = o.startValue;
        view.length = Math.max(1, o.endValue - o.startValue + 1);
      }
    });
  });
  var date = document.getElementById('zoom-date');
  if (date && n > 0) {
    date.min = D.times[0].slice(0, 10);
    date.max = D.times[n - 1].slice(0, 10);
    date.value = date.min;
    date.addEventListener('change', function () {
      for (var t = 0; t < n; t++) {
        if (D.times[t].slice(0, 10) >= date.value) {
          view.start = Math.max(0, Math.min(t, n - view.length));
          applyView();
          return;
        }
      }
    });
  }
  mark('week');
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
