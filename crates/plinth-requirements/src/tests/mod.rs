mod expand;
mod parse;
mod pyproject;
mod render;
