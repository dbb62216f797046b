import Foundation
import LoomNN

/// One self-contained HTML page over experiment results and training runs: per experiment its
/// verdicts, every figure as inline SVG, its tables and its configuration; for training runs
/// their curves compared on one plot, their configurations side by side, and each run's
/// learning curves. No external resources (scripts, styles, fonts or images), so the file
/// opens anywhere, offline.
public struct Report: Sendable {
    public var results: [ExperimentResult]
    /// `loom train` runs, shown after the experiments.
    public var runs: [TrainingRunRecord]
    public var title: String

    /// A page titled `title` over `results` and `runs`, each in their order.
    public init(results: [ExperimentResult], runs: [TrainingRunRecord] = [], title: String = "Loom experiments") {
        self.results = results
        self.runs = runs
        self.title = title
    }

    /// Tables longer than this are shown in part (the CSV next to `result.json` has them all).
    static let shownRows = 40

    /// The page.
    public func html() -> String {
        let agreeing = results.filter(\.agrees).count
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: DejaVu Sans, Helvetica, Arial, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
        h1 { border-bottom: 2px solid #333; } h2 { margin-top: 2.2em; border-bottom: 1px solid #aaa; }
        .verdict { padding: .35em .6em; margin: .3em 0; border-left: 6px solid; }
        .agrees { border-color: #009E73; background: #eef8f3; } .disagrees { border-color: #D55E00; background: #fdf0e8; }
        figure { margin: 1.2em 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
        figcaption { font-size: .92em; color: #444; }
        table { border-collapse: collapse; font-size: .88em; margin: .6em 0; } td, th { border: 1px solid #ccc; padding: 2px 7px; text-align: right; }
        th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
        details { margin: .5em 0; } .note { color: #555; font-size: .9em; }
        </style></head><body>
        <h1>\(escape(title))</h1>
        <p>\(results.count) experiment(s); \(agreeing) agree with the lecture on every point.\(runs.isEmpty ? "" : " \(runs.count) training run(s).")</p>
        <ul>\(results.map { "<li><a href=\"#\(escape($0.experiment))\">\(escape($0.experiment))</a>: \(escape($0.title)) \($0.agrees ? "✓" : "✗")</li>" }.joined())\(runs.isEmpty ? "" : "<li><a href=\"#training-runs\">training runs</a></li>")</ul>

        """
        for result in results { page += section(result) }
        if !runs.isEmpty { page += trainingRunsSection() }
        return page + "</body></html>\n"
    }

    private func section(_ result: ExperimentResult) -> String {
        var html = "<section id=\"\(escape(result.experiment))\">\n<h2>\(escape(result.experiment)): \(escape(result.title))</h2>\n"
        html += "<p><b>The lecture:</b> \(escape(result.summary))</p>\n"
        for verdict in result.verdicts {
            html += "<div class=\"verdict \(verdict.agrees ? "agrees" : "disagrees")\">\(verdict.agrees ? "✓ agrees" : "✗ disagrees"): "
                + "\(escape(verdict.prediction)) — <i>measured:</i> \(escape(verdict.measurement))"
                + (verdict.refutedBy.isEmpty ? "" : " — <i>would disagree if:</i> \(escape(verdict.refutedBy))") + "</div>\n"
        }
        for figure in result.figures {
            // Inline SVG (not <img src=data:…>) keeps the page one file and its text selectable.
            html += "<figure>\n" + SVGRenderer().render(figure) + "<figcaption>\(escape(figure.caption))</figcaption>\n</figure>\n"
        }
        for table in result.tables {
            html += "<details\(table.rows.count <= 12 ? " open" : "")><summary>Table <code>\(escape(table.name)).csv</code> (\(table.rows.count) rows)</summary>\n"
            html += "<table><tr>" + table.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            for row in table.rows.prefix(Self.shownRows) { html += "<tr>" + row.map { "<td>\(escape($0.text))</td>" }.joined() + "</tr>\n" }
            html += "</table>"
            if table.rows.count > Self.shownRows { html += "<p class=\"note\">first \(Self.shownRows) of \(table.rows.count) rows; all in the CSV</p>" }
            html += "</details>\n"
        }
        html += "<details><summary>Configuration (\(String(format: "%.1f", result.seconds)) s)</summary><table>"
        html += result.configuration.map { "<tr><td>\(escape($0.name))</td><td>\(escape($0.value))</td></tr>" }.joined()
        return html + "</table></details>\n</section>\n"
    }

    /// Writes the page to `url` atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Array(html().utf8), to: url)
    }
}
