//! Reading `METADATA` out of a remote wheel with HTTP range requests, and
//! `PKG-INFO` out of an sdist archive.
//!
//! A wheel is a zip file: its central directory sits at the end, so one
//! suffix request usually returns the directory and often the `METADATA`
//! entry too. Servers that ignore `Range` send the whole file, which is then
//! read in memory (and verified against the index's hash).

use std::io::Read;

use flate2::read::{DeflateDecoder, GzDecoder};

use crate::client::IndexClient;
use crate::error::{IndexError, redact};
use crate::metadata::CoreMetadata;
use crate::simple::IndexFile;

/// How much of a wheel's end the first request asks for.
const TAIL_SIZE: u64 = 64 * 1024;

/// When the central directory is not in the tail, the directory is fetched
/// together with the bytes before it, where a wheel's `.dist-info` files
/// (written last: `METADATA`, then `RECORD`, whose compressed size grows
/// with the directory's) usually lie: the directory's size and this much
/// more. So `METADATA` mostly comes with the directory, in two requests
/// instead of three. (Measured on 60 large PyPI wheels, `METADATA` starts
/// 0.4 to 0.9 directory sizes and 30 to 250 KiB before the directory, or
/// at the front of the file; half the directory and 32 KiB missed numpy
/// 2.4, fonttools and torch.)
const BEFORE_DIRECTORY: u64 = 64 * 1024;

const EOCD_SIGNATURE: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIGNATURE: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIGNATURE: u32 = 0x0606_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;

/// Bytes of a wheel we have, plus the means to fetch more.
struct RemoteZip<'a> {
    client: &'a IndexClient,
    file: &'a IndexFile,
    /// A known window of the file: `(start offset, bytes)`.
    window: (u64, Vec<u8>),
    size: u64,
}

impl RemoteZip<'_> {
    /// Bytes `start..start + len`, from the window or a new range request.
    async fn read(&self, start: u64, len: u64) -> Result<Vec<u8>, IndexError> {
        let end = start
            .checked_add(len)
            .filter(|end| *end <= self.size)
            .ok_or_else(|| self.invalid("an entry points past the end of the file"))?;
        let (window_start, window) = &self.window;
        if start >= *window_start && end <= window_start + window.len() as u64 {
            let offset = usize::try_from(start - window_start)
                .map_err(|_| self.invalid("offset overflow"))?;
            let len = usize::try_from(len).map_err(|_| self.invalid("length overflow"))?;
            return Ok(window[offset..offset + len].to_vec());
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        let fetched = self
            .client
            .get_range(&self.file.url().to_url(), &format!("{start}-{}", end - 1))
            .await?;
        match fetched.status.as_u16() {
            206 => {
                let (got_start, _) = parse_content_range(fetched.content_range.as_deref())
                    .ok_or_else(|| self.invalid("a 206 response without a valid Content-Range"))?;
                if got_start != start || fetched.body.len() as u64 != len {
                    return Err(self.invalid("the server sent a different range than asked for"));
                }
                Ok(fetched.body)
            }
            200 => {
                let offset = usize::try_from(start).map_err(|_| self.invalid("offset overflow"))?;
                let len = usize::try_from(len).map_err(|_| self.invalid("length overflow"))?;
                fetched
                    .body
                    .get(offset..offset + len)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| self.invalid("the file is shorter than its directory says"))
            }
            status => Err(IndexError::Status {
                url: redact(&self.file.url().to_url()),
                status,
            }),
        }
    }

    /// Widens the window back to `start` with one range request.
    async fn extend_back(&mut self, start: u64) -> Result<(), IndexError> {
        let window_start = self.window.0;
        if start >= window_start {
            return Ok(());
        }
        let mut bytes = self.read(start, window_start - start).await?;
        bytes.append(&mut self.window.1);
        self.window = (start, bytes);
        Ok(())
    }

    fn invalid(&self, message: &str) -> IndexError {
        IndexError::Archive {
            url: redact(&self.file.url().to_url()),
            message: message.to_string(),
        }
    }
}

/// The `METADATA` bytes of a remote wheel, reading as little of it as possible.
pub(crate) async fn read_wheel_metadata(
    client: &IndexClient,
    file: &IndexFile,
) -> Result<Vec<u8>, IndexError> {
    let fetched = client
        .get_range(&file.url().to_url(), &format!("-{TAIL_SIZE}"))
        .await?;
    let (window, size) =
        match fetched.status.as_u16() {
            206 => {
                let (start, total) = parse_content_range(fetched.content_range.as_deref())
                    .ok_or_else(|| IndexError::Archive {
                        url: redact(&file.url().to_url()),
                        message: "a 206 response without a valid Content-Range".to_string(),
                    })?;
                let total = total.unwrap_or(start + fetched.body.len() as u64);
                ((start, fetched.body), total)
            }
            // The server ignores ranges (or the file is smaller than asked):
            // we have everything, so it can be verified.
            200 => {
                if let Some(expected) = file.sha256() {
                    let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&fetched.body));
                    if !actual.eq_ignore_ascii_case(&expected) {
                        return Err(IndexError::HashMismatch {
                            filename: file.filename().to_string(),
                            expected,
                            actual,
                        });
                    }
                }
                let size = fetched.body.len() as u64;
                ((0, fetched.body), size)
            }
            // 416: empty file or a server that rejects suffix ranges: download it all.
            _ => {
                let body = client.download(file).await?;
                let size = body.len() as u64;
                ((0, body), size)
            }
        };
    let mut zip = RemoteZip {
        client,
        file,
        window,
        size,
    };
    read_metadata_entry(&mut zip).await
}

async fn read_metadata_entry(zip: &mut RemoteZip<'_>) -> Result<Vec<u8>, IndexError> {
    let (directory_offset, directory_size) = find_central_directory(zip).await?;
    let entry = match directory_end_entry(zip, directory_offset, directory_size) {
        Some(entry) => entry,
        None => {
            if directory_offset < zip.window.0 {
                let before = directory_size + BEFORE_DIRECTORY;
                zip.extend_back(directory_offset.saturating_sub(before))
                    .await?;
            }
            let directory = zip.read(directory_offset, directory_size).await?;
            find_metadata_entry(&directory)
                .ok_or_else(|| zip.invalid("no `.dist-info/METADATA` entry"))?
        }
    };
    // Another wheel of the same release (another platform or Python) mostly
    // has the same METADATA: its checksum and size in the directory say so,
    // and spare a request when the file lies outside the window.
    let same = (entry.path.clone(), entry.crc32, entry.uncompressed_size);
    if let Some(bytes) = zip.client.metadata_read_before(&same) {
        return Ok(bytes);
    }
    let bytes = read_entry(zip, &entry).await?;
    let mut crc = flate2::Crc::new();
    crc.update(&bytes);
    if crc.sum() == entry.crc32 {
        zip.client.remember_metadata(same, &bytes);
    }
    Ok(bytes)
}

/// The uncompressed bytes of `entry`.
async fn read_entry(zip: &mut RemoteZip<'_>, entry: &Entry) -> Result<Vec<u8>, IndexError> {
    // The local header's extra field may differ from the central one: read a
    // little more than needed and fix up once it is known.
    let guess = 30 + entry.name_len + 256 + entry.compressed_size;
    let available = zip.size.saturating_sub(entry.local_offset);
    let header = zip.read(entry.local_offset, guess.min(available)).await?;
    if read_u32(&header, 0) != Some(LOCAL_SIGNATURE) {
        return Err(zip.invalid("bad local file header"));
    }
    let name_len = u64::from(read_u16(&header, 26).unwrap_or(0));
    let extra_len = u64::from(read_u16(&header, 28).unwrap_or(0));
    let data_start = 30 + name_len + extra_len;
    let data = if data_start + entry.compressed_size <= header.len() as u64 {
        let start = usize::try_from(data_start).map_err(|_| zip.invalid("offset overflow"))?;
        let len =
            usize::try_from(entry.compressed_size).map_err(|_| zip.invalid("length overflow"))?;
        header[start..start + len].to_vec()
    } else {
        zip.read(entry.local_offset + data_start, entry.compressed_size)
            .await?
    };
    match entry.method {
        0 => Ok(data),
        8 => {
            let mut out = Vec::with_capacity(
                usize::try_from(entry.uncompressed_size)
                    .unwrap_or(0)
                    .min(1 << 24),
            );
            DeflateDecoder::new(data.as_slice())
                .take(64 << 20)
                .read_to_end(&mut out)
                .map_err(|error| zip.invalid(&format!("METADATA does not inflate: {error}")))?;
            Ok(out)
        }
        method => Err(zip.invalid(&format!("unsupported compression method {method}"))),
    }
}

/// The `METADATA` entry, when it is in the part of a central directory
/// that is in the window though the directory starts before it: a wheel's
/// `.dist-info` files are written last, so their entries end the directory
/// (numpy 2.4's directory is 92 KiB: its 3 KB `METADATA` is then read with
/// one small request, not with 185 KiB of the directory and what precedes
/// it).
fn directory_end_entry(zip: &RemoteZip<'_>, offset: u64, size: u64) -> Option<Entry> {
    let (window_start, window) = &zip.window;
    let end = offset.checked_add(size)?;
    if offset >= *window_start || end <= *window_start {
        return None;
    }
    let end = usize::try_from(end - window_start).ok()?;
    find_metadata_entry_in_end(window.get(..end)?)
}

/// The `METADATA` entry among the entries that end `directory_end`, the last
/// bytes of a central directory (starting anywhere in an entry): read from
/// the first signature from which whole entries follow one another up to
/// the end exactly.
fn find_metadata_entry_in_end(directory_end: &[u8]) -> Option<Entry> {
    let signature = CENTRAL_SIGNATURE.to_le_bytes();
    let start = directory_end
        .windows(4)
        .enumerate()
        .filter(|(_, bytes)| *bytes == signature)
        .map(|(at, _)| at)
        .find(|&at| entries_end_at_end(&directory_end[at..]))?;
    find_metadata_entry(&directory_end[start..])
}

/// Whether `entries` is a run of whole central directory entries.
fn entries_end_at_end(entries: &[u8]) -> bool {
    let mut position = 0;
    while position < entries.len() {
        if read_u32(entries, position) != Some(CENTRAL_SIGNATURE) {
            return false;
        }
        let lengths = [28, 30, 32].map(|at| read_u16(entries, position + at).map(usize::from));
        let [Some(name), Some(extra), Some(comment)] = lengths else {
            return false;
        };
        position += 46 + name + extra + comment;
    }
    position == entries.len()
}

/// `(offset, size)` of the central directory, zip64 aware.
async fn find_central_directory(zip: &RemoteZip<'_>) -> Result<(u64, u64), IndexError> {
    let (window_start, window) = &zip.window;
    let eocd = (0..window.len().saturating_sub(21))
        .rev()
        .find(|&index| read_u32(window, index) == Some(EOCD_SIGNATURE))
        .ok_or_else(|| zip.invalid("no end of central directory record"))?;
    let size = u64::from(read_u32(window, eocd + 12).unwrap_or(0));
    let offset = u64::from(read_u32(window, eocd + 16).unwrap_or(0));
    if size != u64::from(u32::MAX) && offset != u64::from(u32::MAX) {
        return Ok((offset, size));
    }
    let locator = eocd
        .checked_sub(20)
        .filter(|&locator| read_u32(window, locator) == Some(ZIP64_LOCATOR_SIGNATURE))
        .ok_or_else(|| zip.invalid("zip64 locator missing"))?;
    let record_offset =
        read_u64(window, locator + 8).ok_or_else(|| zip.invalid("zip64 locator truncated"))?;
    let record = if record_offset >= *window_start {
        let start = usize::try_from(record_offset - window_start)
            .map_err(|_| zip.invalid("offset overflow"))?;
        window.get(start..).map(<[u8]>::to_vec).unwrap_or_default()
    } else {
        zip.read(record_offset, 56).await?
    };
    if read_u32(&record, 0) != Some(ZIP64_EOCD_SIGNATURE) {
        return Err(zip.invalid("bad zip64 end of central directory record"));
    }
    let size = read_u64(&record, 40).ok_or_else(|| zip.invalid("zip64 record truncated"))?;
    let offset = read_u64(&record, 48).ok_or_else(|| zip.invalid("zip64 record truncated"))?;
    Ok((offset, size))
}

struct Entry {
    /// The entry's path in the archive (`name-version.dist-info/METADATA`).
    path: String,
    crc32: u32,
    method: u16,
    compressed_size: u64,
    uncompressed_size: u64,
    name_len: u64,
    local_offset: u64,
}

/// The central directory entry of `<something>.dist-info/METADATA` at the top level.
fn find_metadata_entry(directory: &[u8]) -> Option<Entry> {
    let mut position = 0;
    while read_u32(directory, position) == Some(CENTRAL_SIGNATURE) {
        let method = read_u16(directory, position + 10)?;
        let crc32 = read_u32(directory, position + 16)?;
        let mut compressed_size = u64::from(read_u32(directory, position + 20)?);
        let mut uncompressed_size = u64::from(read_u32(directory, position + 24)?);
        let name_len = usize::from(read_u16(directory, position + 28)?);
        let extra_len = usize::from(read_u16(directory, position + 30)?);
        let comment_len = usize::from(read_u16(directory, position + 32)?);
        let mut local_offset = u64::from(read_u32(directory, position + 42)?);
        let name = directory.get(position + 46..position + 46 + name_len)?;
        let name = String::from_utf8_lossy(name);
        let is_metadata = name
            .strip_suffix("/METADATA")
            .is_some_and(|dir| dir.ends_with(".dist-info") && !dir.contains('/'));
        if is_metadata {
            // Zip64 extra field: 64-bit values for the fields that are saturated.
            let extra =
                directory.get(position + 46 + name_len..position + 46 + name_len + extra_len)?;
            let mut cursor = 0;
            while cursor + 4 <= extra.len() {
                let id = read_u16(extra, cursor)?;
                let size = usize::from(read_u16(extra, cursor + 2)?);
                if id == 1 {
                    let mut field = cursor + 4;
                    for value in [
                        &mut uncompressed_size,
                        &mut compressed_size,
                        &mut local_offset,
                    ] {
                        if *value == u64::from(u32::MAX) {
                            *value = read_u64(extra, field)?;
                            field += 8;
                        }
                    }
                }
                cursor += 4 + size;
            }
            return Some(Entry {
                path: name.into_owned(),
                crc32,
                method,
                compressed_size,
                uncompressed_size,
                name_len: name_len as u64,
                local_offset,
            });
        }
        position += 46 + name_len + extra_len + comment_len;
    }
    None
}

/// The top-level `PKG-INFO` and `pyproject.toml` of an sdist (`name-version/...`).
#[derive(Debug, Default)]
pub(crate) struct SdistFiles {
    pub pkg_info: Option<Vec<u8>>,
    pub pyproject: Option<Vec<u8>>,
}

impl SdistFiles {
    /// Keeps the archive entry at `path` when it is one of the two (the
    /// first of each); `true` once a static `PKG-INFO` (PEP 643) is in,
    /// which is all the metadata needs.
    pub(crate) fn keep(&mut self, path: &str, read: &mut dyn Read) -> Result<bool, String> {
        let path = path.trim_start_matches("./");
        let mut parts = path.split('/');
        let (Some(_top), Some(name), None) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(false);
        };
        let slot = match name {
            "PKG-INFO" => &mut self.pkg_info,
            "pyproject.toml" => &mut self.pyproject,
            _ => return Ok(false),
        };
        let mut bytes = Vec::new();
        read.take(16 << 20)
            .read_to_end(&mut bytes)
            .map_err(|error| error.to_string())?;
        slot.get_or_insert(bytes);
        Ok(self
            .pkg_info
            .as_deref()
            .is_some_and(|pkg_info| CoreMetadata::parse(pkg_info).is_static()))
    }

    /// The metadata they give without a build: a static `PKG-INFO`, else a
    /// static `pyproject.toml` `[project]` table (PEP 621); `Err` when that
    /// table is invalid.
    pub(crate) fn static_metadata(self) -> Result<Option<Vec<u8>>, String> {
        if let Some(pkg_info) = self
            .pkg_info
            .filter(|bytes| CoreMetadata::parse(bytes).is_static())
        {
            return Ok(Some(pkg_info));
        }
        let Some(pyproject) = self.pyproject else {
            return Ok(None);
        };
        match CoreMetadata::from_pyproject(&pyproject) {
            Ok(metadata) => Ok(metadata.map(|metadata| metadata.to_text().into_bytes())),
            Err(error) => Err(format!("its pyproject.toml is invalid: {error}")),
        }
    }
}

/// Read the files metadata may come from out of an sdist archive (`.tar.gz` or `.zip`).
/// A static `PKG-INFO` (PEP 643) is all that is needed: the rest of the archive is
/// then not read (pyspark's sdist is 456 MB, its `PKG-INFO` the fifth entry).
pub(crate) fn read_sdist_files(filename: &str, archive: &[u8]) -> Result<SdistFiles, String> {
    let mut files = SdistFiles::default();
    if filename.ends_with(".zip") {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(archive))
            .map_err(|error| error.to_string())?;
        for index in 0..archive.len() {
            let mut entry = archive.by_index(index).map_err(|error| error.to_string())?;
            let name = entry.name().to_string();
            if files.keep(&name, &mut entry)? {
                break;
            }
        }
    } else {
        let mut archive = tar::Archive::new(GzDecoder::new(archive));
        for entry in archive.entries().map_err(|error| error.to_string())? {
            let mut entry = entry.map_err(|error| error.to_string())?;
            let path = entry
                .path()
                .map_err(|error| error.to_string())?
                .to_string_lossy()
                .into_owned();
            if files.keep(&path, &mut entry)? {
                break;
            }
        }
    }
    Ok(files)
}

/// `(start, total)` from `Content-Range: bytes start-end/total` (total may be `*`).
fn parse_content_range(header: Option<&str>) -> Option<(u64, Option<u64>)> {
    let rest = header?.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (start, _end) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total.trim().parse().ok()))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range(Some("bytes 100-199/1000")),
            Some((100, Some(1000)))
        );
        assert_eq!(parse_content_range(Some("bytes 0-9/*")), Some((0, None)));
        assert_eq!(parse_content_range(Some("items 0-9/10")), None);
        assert_eq!(parse_content_range(None), None);
    }

    /// A zip of `names` (each holding its own name), and where its central
    /// directory starts.
    fn zip_of(names: &[String]) -> (Vec<u8>, usize) {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for name in names {
            writer
                .start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .expect("entry");
            std::io::Write::write_all(&mut writer, name.as_bytes()).expect("write");
        }
        let bytes = writer.finish().expect("zip").into_inner();
        let eocd = (0..bytes.len() - 21)
            .rev()
            .find(|&at| read_u32(&bytes, at) == Some(EOCD_SIGNATURE))
            .expect("an end record");
        let offset = read_u32(&bytes, eocd + 16).expect("an offset") as usize;
        (bytes[..eocd].to_vec(), offset)
    }

    #[test]
    fn metadata_is_found_in_the_end_of_a_central_directory() {
        // Names with a signature in them, before and among the dist-info files.
        let mut names: Vec<String> = (0..300)
            .map(|n| format!("demo/PK\u{1}\u{2}_{n}.py"))
            .collect();
        names.extend(
            ["METADATA", "PK\u{1}\u{2}", "WHEEL", "RECORD"]
                .map(|file| format!("demo-1.0.dist-info/{file}")),
        );
        let (with_directory, offset) = zip_of(&names);
        let directory = &with_directory[offset..];
        let whole = find_metadata_entry(directory).expect("in the directory");
        for cut in [
            1,
            2,
            45,
            46,
            47,
            1000,
            directory.len() / 2,
            directory.len() - 400,
        ] {
            let entry = find_metadata_entry_in_end(&directory[cut..]).expect("in its end");
            assert_eq!(entry.local_offset, whole.local_offset, "cut at {cut}");
            assert_eq!(entry.compressed_size, whole.compressed_size);
        }
        // Not among the last entries: left to the whole directory.
        assert!(find_metadata_entry_in_end(&directory[directory.len() - 250..]).is_none());
        names.rotate_right(4);
        let (with_directory, offset) = zip_of(&names);
        let directory = &with_directory[offset..];
        assert!(find_metadata_entry(directory).is_some());
        assert!(find_metadata_entry_in_end(&directory[100..]).is_none());
    }

    /// A `.tar.gz` of `entries`.
    fn sdist(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut archive = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        ));
        for (path, content) in entries {
            let mut header = tar::Header::new_ustar();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            archive
                .append_data(&mut header, path, content.as_bytes())
                .expect("entry");
        }
        archive.into_inner().expect("tar").finish().expect("gzip")
    }

    #[test]
    fn an_sdist_is_read_up_to_its_static_pkg_info() {
        let static_info = "Metadata-Version: 2.2\nName: demo\nVersion: 1.0\n";
        let dynamic_info =
            "Metadata-Version: 2.2\nName: demo\nVersion: 1.0\nDynamic: Requires-Dist\n";
        // Text that compresses little, so that the archive is mostly this.
        let filler: String = (0_u32..4000)
            .map(|count| hex::encode(<sha2::Sha256 as sha2::Digest>::digest(count.to_le_bytes())))
            .collect();
        for (info, whole) in [(static_info, false), (dynamic_info, true)] {
            let mut bytes = sdist(&[
                ("demo-1.0/PKG-INFO", info),
                ("demo-1.0/big.bin", &filler),
                ("demo-1.0/pyproject.toml", "[project]\n"),
            ]);
            let files = read_sdist_files("demo-1.0.tar.gz", &bytes).expect("readable");
            assert_eq!(files.pkg_info.as_deref(), Some(info.as_bytes()));
            assert_eq!(files.pyproject.is_some(), whole, "{info}");
            // Cut the stream well after PKG-INFO: only a reader that stops
            // at a static PKG-INFO still succeeds.
            bytes.truncate(bytes.len() / 2);
            assert_eq!(
                read_sdist_files("demo-1.0.tar.gz", &bytes).is_ok(),
                !whole,
                "{info}"
            );
        }
    }
}
