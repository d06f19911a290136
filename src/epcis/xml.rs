//! XML reader (to come)
use super::{ReadError, ids::CompanyPrefixes, model::Event};
pub fn read(_text: &str, _prefixes: &CompanyPrefixes) -> Result<Vec<Event>, ReadError> {
    Err(ReadError::Invalid { position: "line 1".to_owned(), message: "EPCIS XML is not supported yet".to_owned() })
}
