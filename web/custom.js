/* This file is part of the CRM suite.  The COPYRIGHT file at the top level of
 * this repository contains the full copyright notices and license terms.
 *
 * The script sao loads from its root (custom.js): ./crm copies it into
 * web/node_modules/tryton-sao at each run.
 *
 * sao's graphs:
 * - the value axis of bars and lines shows its numbers as the user's
 *   language writes them, with thousands separators (120,000 rather than
 *   120000); the server names the amounts with their currency;
 * - a category that is a selection field shows the label of its value
 *   ("Phone", not "phone").
 *
 * sao's forms: a form gives its widgets' values back to the record, and
 * compares them with it, only once it has shown that record.  sao gives
 * them back before it leaves the record (switch, close, next); a form still
 * loading its fields then wrote its empty widgets over the values and asked
 * whether to save a record nobody had changed. */
(function() {
    'use strict';
    var Chart = Sao.View.Graph.Chart;
    var bb_config = Chart.prototype._bb_config;
    var update_data = Chart.prototype.update_data;

    Chart.prototype.update_data = function(group) {
        return update_data.call(this, group).then(data => {
            var description = this.view.screen.model.fields[
                this.xfield.name].description;
            if ((description.type != 'selection')
                    || !Array.isArray(description.selection)) {
                return data;
            }
            var labels = new Map(description.selection);
            var label = x => (labels.has(x) ? labels.get(x) : x);
            data.columns[0] = data.columns[0].map(
                (x, i) => (i ? label(x) : x));
            // A click opens the records of the category by its label
            var ids = {};
            for (var [x, category] of Object.entries(this.ids)) {
                ids[label(x)] = category;
            }
            this.ids = ids;
            return data;
        });
    };

    Chart.prototype._bb_config = function(data) {
        var config = bb_config.call(this, data);
        var format = new Intl.NumberFormat(
            Sao.i18n.BC47(Sao.i18n.getlang()), {maximumFractionDigits: 2});
        config.axis.y = jQuery.extend(true, {}, config.axis.y, {
            tick: {
                format: function(value) {
                    return format.format(value);
                },
            },
        });
        return config;
    };

    var Form = Sao.View.Form;
    var display = Form.prototype.display;
    var set_value = Form.prototype.set_value;

    Form.prototype.display = function() {
        var record = this.record;
        if (record !== this.shown_record) {
            this.shown_record = null;
        }
        return jQuery.when(display.apply(this, arguments)).always(() => {
            if (this.record === record) {
                this.shown_record = record;
            }
        });
    };

    Form.prototype.set_value = function() {
        if (this.record && (this.record === this.shown_record)) {
            set_value.apply(this, arguments);
        }
    };

    // Nor are the widgets of a record not shown yet compared with it
    var modified = Object.getOwnPropertyDescriptor(
        Form.prototype, 'modified').get;
    Object.defineProperty(Form.prototype, 'modified', {
        get: function() {
            return Boolean(this.record && (this.record === this.shown_record)
                && modified.call(this));
        },
        configurable: true,
    });
}());
