//! The printable HTML ledger.

use crate::reports::sheet::{Range, Sheet, escape_cell};

pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

pub fn to_html(school: &str, r: &Range, sheets: &[Sheet]) -> String {
    let title = format!(
        "{school} 安全工作台账 {}",
        r.semester.clone().unwrap_or_default()
    );
    let mut out = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
body{{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",sans-serif;font-size:12px;margin:16px}}\
h1{{font-size:20px;text-align:center}}h2{{font-size:16px;margin-top:24px}}\
table{{border-collapse:collapse;width:100%}}th,td{{border:1px solid #444;padding:3px 5px;vertical-align:top}}\
th{{background:#eee}}section{{page-break-after:always}}section:last-child{{page-break-after:auto}}\
@media print{{body{{margin:0}}thead{{display:table-header-group}}}}</style></head><body>\
<h1>{}</h1><p>统计范围:{} 至 {}</p>",
        html_escape(&title),
        html_escape(&title),
        r.start_s(),
        r.end_s()
    );
    for s in sheets {
        out.push_str(&format!(
            "<section><h2>{}({} 条)</h2><table><thead><tr>",
            html_escape(s.name),
            s.rows.len()
        ));
        for h in s.headers {
            out.push_str(&format!("<th>{}</th>", html_escape(h)));
        }
        out.push_str("</tr></thead><tbody>");
        if s.rows.is_empty() {
            out.push_str(&format!(
                "<tr><td colspan=\"{}\">无记录</td></tr>",
                s.headers.len()
            ));
        }
        for row in &s.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&format!("<td>{}</td>", html_escape(&escape_cell(cell))));
            }
            out.push_str("</tr>");
        }
        out.push_str("</tbody></table></section>");
    }
    out.push_str("</body></html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(html_escape("<b>&"), "&lt;b&gt;&amp;");
    }
}
