mod parse;
mod render;
