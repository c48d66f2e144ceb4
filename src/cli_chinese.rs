//! The command line in Chinese (part of the `shuyuan` binary, not the library): clap writes
//! its help headings, its own `--help`/`--version` flags and its usage errors in English, so
//! every command gets a Chinese help template, usage line and flags, and usage errors go
//! through [`ChineseErrors`].

use clap::builder::StyledStr;
use clap::error::{ContextKind, ErrorFormatter, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// `command` and its subcommands with Chinese help, usage lines and flags.
pub fn localize(command: Command) -> Command {
    let command = command
        .disable_help_subcommand(true)
        .disable_version_flag(true)
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本号"),
        );
    let bin = command.get_name().to_string();
    localize_one(command, &bin)
}

fn localize_one(command: Command, parents: &str) -> Command {
    let path = if parents == command.get_name() {
        parents.to_string()
    } else {
        format!("{parents} {}", command.get_name())
    };
    let command = command
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助"),
        )
        .mut_args(with_default_in_help)
        .subcommand_value_name("命令")
        .subcommand_help_heading("命令");
    let positionals: Vec<String> = command
        .get_positionals()
        .map(|arg| {
            let name = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| arg.get_id().to_string(), ToString::to_string);
            format!("<{name}>")
        })
        .collect();
    let mut usage = path.clone();
    let mut template = String::from("{about-with-newline}\n用法：{usage}\n");
    if command.has_subcommands() {
        usage.push_str(" <命令>");
        template.push_str("\n命令：\n{subcommands}\n");
    } else {
        usage.push_str(" [选项]");
    }
    if !positionals.is_empty() {
        usage = format!("{usage} {}", positionals.join(" "));
        template.push_str("\n参数：\n{positionals}\n");
    }
    template.push_str("\n选项：\n{options}\n{after-help}");
    command
        .override_usage(usage)
        .help_template(template)
        .mut_subcommands(|sub| localize_one(sub, &path))
}

/// clap appends `[default: …]` and `[possible values: …]` in English; the default goes into
/// the Chinese help text instead, and every help text already names the possible values.
fn with_default_in_help(arg: Arg) -> Arg {
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !arg.get_action().takes_values() {
        return arg;
    }
    let arg = arg.hide_possible_values(true);
    if defaults.is_empty() || arg.is_hide_default_value_set() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.help(format!("{help}（默认：{}）", defaults.join("、")))
        .hide_default_value(true)
}

/// Usage errors in Chinese; clap's own wording of a value's problem, if any, follows as a
/// detail.
pub struct ChineseErrors;

impl ErrorFormatter for ChineseErrors {
    fn format_error(error: &clap::error::Error<Self>) -> StyledStr {
        let context = |kind: ContextKind| error.get(kind).map(ToString::to_string);
        let argument = context(ContextKind::InvalidArg).unwrap_or_default();
        let value = context(ContextKind::InvalidValue).unwrap_or_default();
        let mut message = match error.kind() {
            ErrorKind::UnknownArgument => format!("不认识的参数 `{argument}`"),
            ErrorKind::InvalidSubcommand => format!(
                "没有 `{}` 这个命令",
                context(ContextKind::InvalidSubcommand).unwrap_or_default()
            ),
            ErrorKind::InvalidValue => match context(ContextKind::ValidValue) {
                Some(valid) if !value.is_empty() => {
                    format!("{argument} 的值 `{value}` 无效；可以用：{valid}")
                }
                _ => format!("{argument} 需要一个值"),
            },
            ErrorKind::ValueValidation => format!("{argument} 的值 `{value}` 无效"),
            ErrorKind::MissingRequiredArgument => format!("缺少必需的参数：{argument}"),
            ErrorKind::MissingSubcommand => "缺少命令".to_string(),
            ErrorKind::ArgumentConflict => match context(ContextKind::PriorArg) {
                Some(prior) if prior != argument => {
                    format!("参数 {argument} 不能与 {prior} 同时使用")
                }
                _ => format!("参数 {argument} 只能写一次"),
            },
            ErrorKind::NoEquals
            | ErrorKind::TooManyValues
            | ErrorKind::TooFewValues
            | ErrorKind::WrongNumberOfValues => format!("参数 {argument} 的值个数不对"),
            _ => "命令行参数有误".to_string(),
        };
        if error.kind() == ErrorKind::ValueValidation
            && let Some(source) = std::error::Error::source(error)
        {
            message.push_str(&format!("（{source}）"));
        }
        if let Some(suggested) = context(ContextKind::SuggestedSubcommand)
            .or_else(|| context(ContextKind::SuggestedArg))
            .or_else(|| context(ContextKind::SuggestedValue))
        {
            message.push_str(&format!("；是不是想写 `{suggested}`？"));
        }
        let usage = context(ContextKind::Usage)
            .map(|usage| format!("\n\n{}", usage.replacen("Usage: ", "用法：", 1)))
            .unwrap_or_default();
        StyledStr::from(format!(
            "错误：{message}{usage}\n\n加上 --help 可查看这个命令的说明。\n"
        ))
    }
}
