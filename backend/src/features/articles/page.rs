//! The public page as text: the HTML index, one article, the Atom feed. Pure (no queries, no
//! clock): everything shown is passed in, every text escaped, nothing about a student.

use crate::schema::articles::ArticleKind;
use crate::schema::duty::Post;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::fmt::Write;
use uuid::Uuid;

/// A published article as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicArticle {
    pub id: Uuid,
    pub kind: ArticleKind,
    pub title: String,
    pub body: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub photos: Vec<Uuid>,
}

/// One duty shift as the public sees it: post and name, the post's phone if the school set one.
#[derive(Debug, Clone)]
pub struct DutyLine {
    pub date: String,
    pub start_time: String,
    pub end_time: String,
    pub post: Post,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DutyBlock {
    pub title: String,
    pub start_date: String,
    pub end_date: String,
    pub lines: Vec<DutyLine>,
}

/// HTML/XML text escaping (element text and attribute values alike).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn kind_label(k: ArticleKind) -> &'static str {
    match k {
        ArticleKind::Notice => "安全通知",
        ArticleKind::Education => "安全教育",
    }
}

fn post_label(p: Post) -> &'static str {
    match p {
        Post::LeaderOnCall => "值班领导",
        Post::DutyTeacher => "值班教师",
        Post::Guard => "保安",
    }
}

fn local_date(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// Light, readable on a phone, no script; colours pass contrast on white.
const STYLE: &str = "body{font-family:system-ui,-apple-system,'PingFang SC','Noto Sans CJK SC',sans-serif;\
margin:0 auto;max-width:46rem;padding:1rem;line-height:1.6;color:#1f2329;background:#fff}\
header{border-bottom:2px solid #1d4ed8;margin-bottom:1rem}h1{font-size:1.3rem;margin:.2rem 0 .6rem}\
h2{font-size:1.1rem;margin:1.4rem 0 .4rem}a{color:#1d4ed8}ul{padding-left:1.1rem}li{margin:.35rem 0}\
.meta{color:#4b5563;font-size:.85rem}.tag{display:inline-block;font-size:.75rem;color:#fff;\
background:#1d4ed8;border-radius:3px;padding:0 .35rem;margin-right:.35rem}\
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d1d5db;padding:.3rem .4rem;text-align:left}\
img{max-width:100%;height:auto;display:block;margin:.6rem 0}footer{margin-top:2rem;font-size:.8rem;color:#4b5563}";

fn head(out: &mut String, title: &str, school: &str) {
    let _ = write!(
        out,
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"/public/feed.atom\">\
         <style>{STYLE}</style></head><body><header><p class=\"meta\">{}</p><h1>{}</h1></header><main>",
        esc(title),
        esc(&format!("{school} 保卫处")),
        esc(school),
        esc(title),
    );
}

fn foot(out: &mut String) {
    out.push_str(
        "</main><footer><a href=\"/public/\">保卫处首页</a> · <a href=\"/public/feed.atom\">订阅(Atom)</a></footer></body></html>",
    );
}

/// The index: published articles newest first, then the duty contacts the school shows.
pub fn index_html(school: &str, articles: &[PublicArticle], duty: &[DutyBlock], tz: Tz) -> String {
    let mut out = String::new();
    head(&mut out, &format!("{school} 保卫处"), school);
    out.push_str("<h2>安全通知与安全教育</h2>");
    if articles.is_empty() {
        out.push_str("<p>暂无发布的文章。</p>");
    } else {
        out.push_str("<ul>");
        for a in articles {
            let _ = write!(
                out,
                "<li><span class=\"tag\">{}</span><a href=\"/public/articles/{}\">{}</a> <span class=\"meta\">{}</span></li>",
                kind_label(a.kind),
                a.id,
                esc(&a.title),
                local_date(a.published_at, tz),
            );
        }
        out.push_str("</ul>");
    }
    for b in duty {
        let _ = write!(
            out,
            "<h2>{}</h2><p class=\"meta\">{} 至 {}</p>",
            esc(&b.title),
            esc(&b.start_date),
            esc(&b.end_date)
        );
        if b.lines.is_empty() {
            out.push_str("<p>暂无值班安排。</p>");
            continue;
        }
        out.push_str(
            "<table><thead><tr><th scope=\"col\">日期</th><th scope=\"col\">时间</th><th scope=\"col\">岗位</th><th scope=\"col\">值班人</th><th scope=\"col\">值班电话</th></tr></thead><tbody>",
        );
        for l in &b.lines {
            let phone = match &l.phone {
                Some(p) => format!("<a href=\"tel:{0}\">{0}</a>", esc(p)),
                None => String::new(),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}–{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&l.date),
                esc(&l.start_time),
                esc(&l.end_time),
                post_label(l.post),
                esc(&l.name),
                phone
            );
        }
        out.push_str("</tbody></table>");
    }
    foot(&mut out);
    out
}

/// Paragraphs at blank lines, line breaks kept; the body is text, never HTML.
fn paragraphs(body: &str) -> String {
    let mut out = String::new();
    for p in body.replace("\r\n", "\n").split("\n\n") {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let _ = write!(out, "<p>{}</p>", esc(p).replace('\n', "<br>"));
    }
    out
}

pub fn article_html(school: &str, a: &PublicArticle, tz: Tz) -> String {
    let mut out = String::new();
    head(&mut out, &a.title, school);
    let _ = write!(
        out,
        "<p class=\"meta\"><span class=\"tag\">{}</span>发布于 {}</p>{}",
        kind_label(a.kind),
        local_date(a.published_at, tz),
        paragraphs(&a.body)
    );
    for (i, p) in a.photos.iter().enumerate() {
        let _ = write!(
            out,
            "<img src=\"/public/photos/{p}\" alt=\"{} 配图 {}\" loading=\"lazy\">",
            esc(&a.title),
            i + 1
        );
    }
    foot(&mut out);
    out
}

/// An Atom (RFC 4287) feed of the published articles; `origin` makes the links absolute.
pub fn atom(school: &str, origin: &str, articles: &[PublicArticle]) -> String {
    let updated = articles
        .iter()
        .map(|a| a.updated_at.max(a.published_at))
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let mut out = String::new();
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <id>{0}/public/</id><title>{1}</title><updated>{2}</updated>\
         <link rel=\"self\" href=\"{0}/public/feed.atom\"/><link rel=\"alternate\" href=\"{0}/public/\"/>\
         <author><name>{1}</name></author>",
        esc(origin),
        esc(&format!("{school} 保卫处")),
        updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    for a in articles {
        let summary: String = a.body.chars().take(140).collect();
        let _ = write!(
            out,
            "<entry><id>urn:uuid:{}</id><title>{}</title><updated>{}</updated><published>{}</published>\
             <link rel=\"alternate\" href=\"{}/public/articles/{}\"/><category term=\"{}\"/>\
             <summary>{}</summary><content type=\"text\">{}</content></entry>",
            a.id,
            esc(&a.title),
            a.updated_at
                .max(a.published_at)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            a.published_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            esc(origin),
            a.id,
            kind_label(a.kind),
            esc(&summary),
            esc(&a.body),
        );
    }
    out.push_str("</feed>");
    out
}

/// Whether `text` holds a student's name (2+ characters) or student number: the public page
/// never shows either.
pub fn names_a_student<'a>(text: &str, names: impl IntoIterator<Item = &'a str>) -> bool {
    names
        .into_iter()
        .map(str::trim)
        .filter(|n| n.chars().count() >= 2)
        .any(|n| text.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, body: &str) -> PublicArticle {
        let t = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        PublicArticle {
            id: Uuid::nil(),
            kind: ArticleKind::Notice,
            title: title.into(),
            body: body.into(),
            published_at: t,
            updated_at: t,
            photos: vec![Uuid::nil()],
        }
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let tz: Tz = "Asia/Shanghai".parse().unwrap();
        let a = article("<script>x</script>", "a & b\n\n<img src=x onerror=1>");
        let html = article_html("学校", &a, tz);
        assert!(!html.contains("<script>x"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<img src=x"));
        assert!(html.contains("<p>a &amp; b</p>"));
        let feed = atom("学校", "https://x.example.cn", &[a]);
        assert!(!feed.contains("<script>"));
        assert!(
            feed.contains("<link rel=\"alternate\" href=\"https://x.example.cn/public/articles/")
        );
    }

    #[test]
    fn a_student_name_or_number_is_found() {
        let names = ["张小明", "20190101", "李"];
        assert!(names_a_student("表扬张小明同学", names));
        assert!(names_a_student("学号20190101", names));
        // One-character names would match any text: not checked.
        assert!(!names_a_student("李老师讲安全", names));
    }
}
