//! Data sets: comma-separated numbers, one example a line, its class last (the format of
//! `data/`), as the tensor that `datasetHash` commits to — one example a row, the class as the
//! row's last value.
//!
//! Every value must be a finite number: a NaN in a data set would poison every step that loads
//! it, so it is refused before any work starts.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::tensor::{self, Tensor};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("line {line}, column {col}: {text:?} is not a number")]
    NotANumber {
        line: usize,
        col: usize,
        text: String,
    },
    #[error("line {line}, column {col}: {value} is not finite")]
    NotFinite { line: usize, col: usize, value: f32 },
    #[error("line {line} has {got} columns, the first example has {expected}")]
    Ragged {
        line: usize,
        expected: usize,
        got: usize,
    },
    #[error("line {line}: the class {value} is not a whole number below {max}")]
    BadClass { line: usize, value: f32, max: u32 },
    #[error("an example needs at least one feature and a class; line {line} has {got} columns")]
    TooFewColumns { line: usize, got: usize },
    #[error("the data set has no examples")]
    Empty,
    #[error(transparent)]
    Tensor(#[from] tensor::Error),
}

/// The most classes a data set may name; a class is stored exactly as an f32.
pub const MAX_CLASSES: u32 = 1 << 16;

/// A labelled data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// `examples × (features + 1)`: the features, then the class.
    pub tensor: Tensor,
    pub features: u32,
    /// One more than the largest class seen.
    pub classes: u32,
}

impl Dataset {
    /// Reads a CSV file, gzip-compressed when its name ends in `.gz`.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let io = |source| Error::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::GzDecoder::new(file))
        } else {
            Box::new(file)
        };
        Self::parse(BufReader::new(reader)).map_err(|e| match e {
            Error::Io { source, .. } => io(source),
            e => e,
        })
    }

    /// Parses CSV text. A first line with any non-numeric field is a header and is skipped
    /// (scikit-learn's `n,features,names…`); blank lines are skipped.
    pub fn parse<R: BufRead>(reader: R) -> Result<Self, Error> {
        let mut data = Vec::new();
        let mut width = None;
        let mut classes = 0u32;
        for (i, line) in reader.lines().enumerate() {
            let line_no = i + 1;
            let line = line.map_err(|source| Error::Io {
                path: String::new(),
                source,
            })?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if i == 0 && fields.iter().any(|f| f.parse::<f64>().is_err()) {
                continue;
            }
            let expected = *width.get_or_insert(fields.len());
            if fields.len() < 2 {
                return Err(Error::TooFewColumns {
                    line: line_no,
                    got: fields.len(),
                });
            }
            if fields.len() != expected {
                return Err(Error::Ragged {
                    line: line_no,
                    expected,
                    got: fields.len(),
                });
            }
            for (col, text) in fields.iter().enumerate() {
                let value: f32 = text.parse().map_err(|_| Error::NotANumber {
                    line: line_no,
                    col: col + 1,
                    text: (*text).to_owned(),
                })?;
                if !value.is_finite() {
                    return Err(Error::NotFinite {
                        line: line_no,
                        col: col + 1,
                        value,
                    });
                }
                data.push(value);
            }
            let class = *data.last().expect("the row was just pushed");
            if class < 0.0 || class.fract() != 0.0 || class >= MAX_CLASSES as f32 {
                return Err(Error::BadClass {
                    line: line_no,
                    value: class,
                    max: MAX_CLASSES,
                });
            }
            classes = classes.max(class as u32 + 1);
        }
        let width = width.ok_or(Error::Empty)?;
        let examples = data.len() / width;
        Ok(Self {
            tensor: Tensor::new(examples, width, data)?,
            features: (width - 1) as u32,
            classes,
        })
    }

    pub fn examples(&self) -> u32 {
        self.tensor.rows()
    }

    /// The same data set with every feature (not the class) multiplied by `factor`.
    pub fn scale_features(&self, factor: f32) -> Self {
        let cols = self.tensor.cols() as usize;
        let data = self
            .tensor
            .data()
            .chunks_exact(cols)
            .flat_map(|row| {
                let (features, class) = row.split_at(cols - 1);
                features
                    .iter()
                    .map(move |v| v * factor)
                    .chain(class.iter().copied())
            })
            .collect();
        Self {
            tensor: Tensor::new(self.tensor.rows() as usize, cols, data)
                .expect("the shape of an existing tensor"),
            ..self.clone()
        }
    }

    /// The first `n` examples and the rest: a training set and a held-out set.
    pub fn split(&self, n: u32) -> Result<(Self, Self), Error> {
        let cols = self.tensor.cols() as usize;
        let n = n as usize;
        if n == 0 || n >= self.examples() as usize {
            return Err(Error::Empty);
        }
        let (a, b) = self.tensor.data().split_at(n * cols);
        let part = |data: &[f32]| -> Result<Self, Error> {
            Ok(Self {
                tensor: Tensor::new(data.len() / cols, cols, data.to_vec())?,
                ..self.clone()
            })
        };
        Ok((part(a)?, part(b)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_and_without_a_header() {
        let d = Dataset::parse("3,2,a,b\n1.5,2,0\n3,4,1\n\n5,6,1\n".as_bytes()).expect("valid");
        assert_eq!((d.examples(), d.features, d.classes), (3, 2, 2));
        assert_eq!(d.tensor.row(1).expect("row 1"), &[3.0, 4.0, 1.0]);
        let d = Dataset::parse("1,2,0\n".as_bytes()).expect("valid");
        assert_eq!(d.examples(), 1);
    }

    #[test]
    fn nan_and_infinity_are_refused() {
        let e = Dataset::parse("1,2,0\n1,NaN,1\n".as_bytes()).expect_err("NaN");
        assert!(
            matches!(
                e,
                Error::NotFinite {
                    line: 2,
                    col: 2,
                    ..
                }
            ),
            "{e}"
        );
        let e = Dataset::parse("1,2,0\ninf,2,1\n".as_bytes()).expect_err("inf");
        assert!(
            matches!(
                e,
                Error::NotFinite {
                    line: 2,
                    col: 1,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn ragged_lines_bad_classes_and_empty_files_are_refused() {
        let e = Dataset::parse("1,2,0\n1,1\n".as_bytes()).expect_err("ragged");
        assert!(
            matches!(
                e,
                Error::Ragged {
                    line: 2,
                    expected: 3,
                    got: 2
                }
            ),
            "{e}"
        );
        let e = Dataset::parse("1,2,0.5\n".as_bytes()).expect_err("class");
        assert!(matches!(e, Error::BadClass { line: 1, .. }), "{e}");
        let e = Dataset::parse("1,2,-1\n".as_bytes()).expect_err("class");
        assert!(matches!(e, Error::BadClass { .. }), "{e}");
        let e = Dataset::parse("a,b\n".as_bytes()).expect_err("empty");
        assert!(matches!(e, Error::Empty), "{e}");
        let e = Dataset::parse("1,2,0\n1,x,0\n".as_bytes()).expect_err("text");
        assert!(
            matches!(
                e,
                Error::NotANumber {
                    line: 2,
                    col: 2,
                    ..
                }
            ),
            "{e}"
        );
    }
}
