//! Docker awareness: image references and the target they imply, Dockerfiles
//! (stages, `ARG` defaults) and the `lint-docker` rules.

pub mod apt;
pub mod dockerfile;
pub mod image;
pub mod lint;

use std::path::Path;

use anyhow::Context;

use self::dockerfile::Dockerfile;
use self::image::ImageReference;

/// The base image a Dockerfile's Python packages are installed on: that of
/// the last stage running `pip install` (the last stage when none does),
/// through `FROM name` chains.
pub struct DockerfileBase {
    pub image: ImageReference,
    /// `FROM --platform=...` on the way, unless it is a build argument.
    pub platform: Option<String>,
    /// Where it came from, for messages: `Dockerfile:3`.
    pub origin: String,
}

pub fn dockerfile_base(path: &Path) -> anyhow::Result<DockerfileBase> {
    let text = read(path)?;
    let dockerfile = Dockerfile::parse(&text);
    let installs = |stage: &dockerfile::Stage| {
        stage.instructions.iter().any(|instruction| {
            instruction.keyword == "RUN"
                && lint::commands(instruction)
                    .iter()
                    .any(|command| lint::is_pip_install(&command.words))
        })
    };
    let index = dockerfile
        .stages
        .iter()
        .rposition(installs)
        .or_else(|| dockerfile.stages.len().checked_sub(1))
        .with_context(|| {
            format!(
                "`{}` has no `FROM` instruction\n  hint: pass `--target-image` instead",
                path.display()
            )
        })?;
    let (stage, platform) = dockerfile.base_image(index);
    let origin = format!("{}:{}", path.display(), stage.line);
    let image = ImageReference::parse(&stage.base).map_err(|error| {
        anyhow::anyhow!(
            "{error} at `{origin}`\n  hint: give the build argument in `FROM` a default (`ARG NAME=value` before the first `FROM`)"
        )
    })?;
    Ok(DockerfileBase {
        image,
        platform: platform
            .filter(|platform| !platform.contains('$'))
            .map(str::to_string),
        origin,
    })
}

/// A Dockerfile's text; a failure names the path.
pub fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|error| {
        anyhow::anyhow!(
            "Failed to read `{}`: {error}\n  hint: name the Dockerfile, e.g. `docker/Dockerfile`",
            path.display()
        )
    })
}
