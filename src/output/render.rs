//! Render: fills the theme's Tera templates with the [`Site`] and hands every output file
//! to the [`Output`] sink as soon as it is rendered, so a large site is never held in
//! memory as HTML all at once.
//!
//! Templates come from the theme (see [`crate::source::theme`]), overridden file by file by the
//! site's own `templates/`. What is the same for every page (site, navigation, taxonomies) goes
//! into Tera's global context once; per page only `root`, `current_url` and the page's own
//! data are built. Every URL in a context is root-relative; templates prefix `root`, which
//! is what keeps the output working from file:// and under any sub-path.
//!
//! Which files there are comes from the output plan ([`crate::output::plan::jobs`]); the templates
//! are loaded in [`templates`]; the variables are typed structs built in [`contexts`] (the
//! site's own files and every template's globals) and [`training_pages`].

mod contexts;
mod memo;
mod templates;
mod training_pages;

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;
use siphasher::sip128::SipHasher13;

use crate::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::{PageId, SectionId, Site, encode_path, root_prefix};
// The preview (`crate::dev::incremental`) takes the plan's jobs and paging from here.
pub(crate) use crate::output::plan::{
    DEFAULT_PER_PAGE, Job, What, jobs, list_slice, page_job, per_page, recent_pages,
};
use crate::output::write::Output;
use crate::training::Training;
use contexts::Contexts;
pub use memo::{Memo, Remembered, TemplateDigest};
use templates::error_chain;
pub use templates::{check_no_outside_assets, load_templates};

/// Puts what every page shares (site, navigation, taxonomies, where the training pages
/// are) into Tera's global context, and hashes them into `hash` for the [`Memo`], the edition
/// `build_id` left out.
pub fn set_globals(
    site: &Site,
    training: &Training,
    tera: &mut tera::Tera,
    build_id: &str,
    hash: Option<&mut SipHasher13>,
) {
    contexts::insert_globals(site, training, build_id, tera.global_context(), hash);
}

/// One file's template variables as a template reads them (`context`) or only their hash
/// for the [`Memo`] (`hash`), or both: a file the memo may leave as it is has its variables
/// hashed first, without making the values Tera reads, and filled again only if it changed.
pub(crate) struct Vars<'h> {
    context: Option<tera::Context>,
    hash: Option<&'h mut SipHasher13>,
}

impl Vars<'_> {
    pub(crate) fn insert<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) {
        if let Some(h) = &mut self.hash {
            memo::hash_variable(h, name, value);
        }
        if let Some(context) = &mut self.context {
            context.insert(name, value);
        }
    }
}

/// Where rendered files go: the build's staging folder, or the live folder of a preview.
pub type Sink<'a> = &'a (dyn Fn(&str, &[u8]) -> Result<(), Diagnostic> + Sync);

pub(crate) fn render_jobs(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    jobs: &[Job],
    sink: Sink,
) -> Vec<Diagnostic> {
    render_each(site, training, tera, jobs, None, sink)
}

/// Renders `jobs` into `sink`; with a memo, a file whose variables hash as the memo has them
/// and that the output still holds as it was is left there, unrendered.
fn render_each(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    jobs: &[Job],
    memo: Option<(&Memo, &Output)>,
    sink: Sink,
) -> Vec<Diagnostic> {
    // Summaries are shared when every file is to be rendered: a clean build's. A preview's edit
    // renders a few files of a site of any size, where a table of every page would be made
    // and dropped for nothing; a rebuild mostly hashes files that turn out unchanged, and the
    // table held every page's summary as a Tera value meanwhile (a 100k rebuild's peak went
    // from 1,831 to 1,949 MiB, its time from 13.18 to 13.08 s).
    let every_file = jobs.len() * 16 >= site.pages.len()
        && memo.is_none_or(|(memo, _)| memo.remembers_nothing());
    let contexts = Contexts::new(
        site,
        training,
        every_file,
        memo.map(|(memo, _)| memo.hasher()),
    );
    let nav_dirs: Vec<&str> = site.sections[SectionId::ROOT]
        .subsections
        .iter()
        .map(|&i| site.sections[i].dir.as_str())
        .collect();
    // Every variable of `job`'s file, hashed into `hash` when there is one, and the template
    // context they make when `context` asks for it.
    let fill = |job: &Job, hash: Option<&mut SipHasher13>, context: bool| {
        let mut vars = Vars {
            context: context.then(tera::Context::new),
            hash,
        };
        let root = if job.template == "404.html" {
            vars.insert("site_top_names", &crate::output::not_found::top_names(site));
            vars.insert("site_depth", &crate::output::not_found::depth(site));
            crate::output::not_found::root(site.config.base_url.as_deref())
        } else {
            root_prefix(&job.path)
        };
        vars.insert("root", &root);
        vars.insert("current_url", &job.path);
        let top = job.path.split('/').next().unwrap_or("");
        vars.insert(
            "active_section",
            if nav_dirs.contains(&top) { top } else { "" },
        );
        contexts.fill(&job.what, &mut vars);
        vars.context.unwrap_or_default()
    };
    jobs.par_iter()
        .filter_map(|job| {
            let (context, remembered) = match memo {
                Some((memo, output)) if memo.knows(&job.path) => {
                    let mut h = memo.hasher();
                    fill(job, Some(&mut h), false);
                    let hash = memo.job_hash(job.template, h);
                    if memo.keep_if_unchanged(output, &job.path, hash).is_some() {
                        return None;
                    }
                    (fill(job, None, true), Some((memo, output, hash)))
                }
                Some((memo, output)) => {
                    let mut h = memo.hasher();
                    let context = fill(job, Some(&mut h), true);
                    (
                        context,
                        Some((memo, output, memo.job_hash(job.template, h))),
                    )
                }
                None => (fill(job, None, true), None),
            };
            // Rendered as bytes: the sink writes bytes, and Tera would otherwise check the
            // whole page for valid UTF-8 only to make a `String` of it.
            let mut html = RENDER_BUFFER.take();
            html.clear();
            let problem = match tera.render_to(job.template, &context, &mut html) {
                Ok(()) => {
                    let written = sink(&job.path, &html);
                    if let (Ok(()), Some((memo, output, hash))) = (&written, remembered) {
                        memo.record(output, &job.path, hash);
                    }
                    written.err()
                }
                Err(e) => Some(Diagnostic::error(
                    Code::TemplateRender,
                    PathBuf::from(format!("templates/{}", job.template)),
                    format!("渲染 {} 时模板出错：{}", job.path, error_chain(&e)),
                )),
            };
            if html.capacity() <= MAX_KEPT_RENDER_BUFFER {
                RENDER_BUFFER.set(html);
            }
            problem
        })
        .collect()
}

thread_local! {
    /// The buffer this thread renders its files into, kept between files so that a page is
    /// not written into a buffer doubling from empty (a 20 KB page grew one eight times).
    static RENDER_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// A buffer kept after use only up to this size: a handout of hundreds of pages gets one of
/// its own instead of holding its megabytes for good. (A render that panics leaves none: the
/// next file starts from an empty one.)
const MAX_KEPT_RENDER_BUFFER: usize = 1 << 20;

/// Renders the training pages that hold page `index`'s body or reading time: its section's
/// handout, its paths and their handouts, the glossary. A preview renders these after the
/// reload, since a handout can hold hundreds of pages. Returns how many files were written.
pub fn render_training_views(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    index: PageId,
    sink: Sink,
) -> Result<usize, Vec<Diagnostic>> {
    let jobs = crate::output::plan::training_jobs_showing(site, training, index);
    let problems = render_jobs(site, training, tera, &jobs, sink);
    if problems.is_empty() {
        Ok(jobs.len())
    } else {
        Err(problems)
    }
}

/// What rendering the whole site reads: the site, its training pages, Tera with the site's
/// globals set ([`set_globals`]), the plan's jobs, and the memo of an earlier build into the
/// same output, if any.
pub struct Rendering<'a> {
    pub site: &'a Site,
    pub training: &'a Training,
    pub tera: &'a tera::Tera,
    pub jobs: &'a [Job],
    pub memo: Option<&'a Memo>,
}

/// Renders every HTML file of the site, the plan's jobs and the old addresses, into `output`;
/// with a memo, only the files whose variables changed or that the output no longer holds as
/// they were.
pub fn render_site(rendering: &Rendering, output: &Output, diagnostics: &mut Diagnostics) {
    let &Rendering {
        site,
        training,
        tera,
        jobs,
        memo,
    } = rendering;
    let problems = render_each(
        site,
        training,
        tera,
        jobs,
        memo.map(|memo| (memo, output)),
        &|path, bytes| output.write(path, bytes),
    );
    diagnostics.extend(problems);
    for (alias, target) in &site.aliases {
        let html = redirect_page(site, alias, *target);
        if let Err(d) = output.write(alias, html.as_bytes()) {
            diagnostics.push(d);
        }
    }
}

/// Renders `jobs` as [`render_site`] does and drops them, for `check`: a template that fails
/// only when rendered (an undefined variable) fails `check` as it fails `build`.
pub fn render_unwritten(
    site: &Site,
    training: &Training,
    tera: &tera::Tera,
    jobs: &[Job],
    diagnostics: &mut Diagnostics,
) {
    diagnostics.extend(render_jobs(site, training, tera, jobs, &|_, _| Ok(())));
}

/// The file at old address `alias` that sends the reader on to page `target`.
pub(crate) fn redirect_page(site: &Site, alias: &str, target: PageId) -> String {
    let page = &site.pages[target];
    let href = crate::html::escape(&format!("{}{}", root_prefix(alias), encode_path(&page.url)));
    let title = crate::html::escape(&page.title);
    // The empty icon keeps Firefox from asking the server's root for /favicon.ico.
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta http-equiv=\"refresh\" content=\"0; url={href}\"><link rel=\"canonical\" href=\"{href}\"><link rel=\"icon\" href=\"data:,\"></head>\
         <body><p>本页已移至 <a href=\"{href}\">{title}</a>。</p></body></html>\n"
    )
}
