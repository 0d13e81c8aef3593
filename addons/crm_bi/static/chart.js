/* This file is part of the CRM suite.  The COPYRIGHT file at the top level
   of this repository contains the full copyright notices and license terms.

   Draw the chart of a query from the JSON data of the page. */
(function() {
    'use strict';
    var element = document.getElementById('chart');
    var source = document.getElementById('chart-data');
    if (!element || !source || !window.echarts) {
        return;
    }
    var data = JSON.parse(source.textContent);
    var index = function(column) {
        return data.columns.indexOf(column);
    };
    var x = index(data.x);
    var categories = data.rows.map(function(row) {
        return String(row[x]);
    });
    var option;
    if (data.type === 'pie') {
        var y = index(data.y[0]);
        option = {
            tooltip: {trigger: 'item'},
            legend: {type: 'scroll', bottom: 0},
            series: [{
                type: 'pie',
                name: data.y[0],
                radius: '60%',
                data: data.rows.map(function(row, i) {
                    return {name: categories[i], value: row[y]};
                }),
            }],
        };
    } else {
        option = {
            tooltip: {trigger: 'axis'},
            legend: {type: 'scroll', bottom: 0},
            grid: {containLabel: true, left: 8, right: 8, top: 24,
                bottom: 40},
            xAxis: {type: 'category', data: categories},
            yAxis: {type: 'value'},
            series: data.y.map(function(column) {
                var y = index(column);
                return {
                    type: data.type,
                    name: column,
                    data: data.rows.map(function(row) {
                        return row[y];
                    }),
                };
            }),
        };
    }
    var chart = window.echarts.init(element, null, {renderer: 'svg'});
    chart.setOption(option);
    element.setAttribute('data-drawn', 'true');
    window.addEventListener('resize', function() {
        chart.resize();
    });
}());
