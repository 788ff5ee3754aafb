//! Work too long for a frame — importing a company's file, reading it for its preview, reading
//! the city's map for its basemap — done on a worker with a second handle of the store. The screen asks for it with a request, draws its
//! progress, and takes its outcome as an event; it never touches the store itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use super::Event;
use crate::exchange::import::{Options, Preview, preview};
use crate::exchange::{self, Failure, Progress, Report};
use crate::store::{DispatchStore, StoreError};
use crate::words::problem::Problem;

/// A worker's outcome, handed over whole (two are equal when they are the same one).
#[derive(Debug, Clone)]
pub struct Outcome<T>(pub Arc<T>);

impl<T> PartialEq for Outcome<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T: Clone> Outcome<T> {
    /// The outcome itself.
    pub fn take(self) -> T {
        Arc::unwrap_or_clone(self.0)
    }
}

/// The city and its own vector map, read for rendering its basemap.
#[derive(Debug, Clone)]
pub struct CityMap {
    pub places: crate::domain::Snapshot,
    pub features: Vec<crate::domain::BasemapFeature>,
}

/// The jobs under way.
#[derive(Default)]
pub struct Jobs {
    import: Option<Receiver<Result<Report, Failure>>>,
    preview: Option<Receiver<Result<Preview, Failure>>>,
    city: Option<Receiver<Result<CityMap, Problem>>>,
}

impl Jobs {
    /// Import `file` (a dry run with `options.check`), counting rows into `progress`.
    pub fn import(
        &mut self,
        store: Result<Box<dyn DispatchStore>, StoreError>,
        location: String,
        file: PathBuf,
        options: Options,
        progress: Arc<Progress>,
    ) {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            // through the same one write path as every command
            let result = store
                .map_err(|e| Failure::database(&location, &e))
                .and_then(|mut store| exchange::import(&mut *store, &file, &options, &progress));
            let _ = tx.send(result);
        });
        self.import = Some(rx);
    }

    /// Read `path` as `options` say, for the import window's preview.
    pub fn preview(
        &mut self,
        store: Result<Box<dyn DispatchStore>, StoreError>,
        location: String,
        path: PathBuf,
        options: Options,
    ) {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let read = store
                .map_err(|e| Failure::database(&location, &e))
                .and_then(|store| preview(&*store, &path, &options));
            let _ = tx.send(read);
        });
        self.preview = Some(rx);
    }

    /// Read the city and its vector map (for rendering the basemap).
    pub fn read_city_map(&mut self, store: Result<Box<dyn DispatchStore>, StoreError>) {
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let read = store
                .and_then(|store| {
                    Ok(CityMap {
                        places: store.load_places()?,
                        features: store.basemap_features()?,
                    })
                })
                .map_err(|e| e.problem());
            let _ = tx.send(read);
        });
        self.city = Some(rx);
    }

    /// The city's map is being read.
    pub fn reading_city_map(&self) -> bool {
        self.city.is_some()
    }

    /// An import is under way.
    pub fn importing(&self) -> bool {
        self.import.is_some()
    }

    /// A preview is being read.
    pub fn previewing(&self) -> bool {
        self.preview.is_some()
    }

    /// The outcomes that came in since the last look.
    pub fn finished(&mut self, events: &mut Vec<Event>) {
        if let Some(rx) = &self.import
            && let Ok(result) = rx.try_recv()
        {
            self.import = None;
            events.push(Event::Imported(Outcome(Arc::new(result))));
        }
        if let Some(rx) = &self.preview
            && let Ok(read) = rx.try_recv()
        {
            self.preview = None;
            events.push(Event::Previewed(Outcome(Arc::new(read))));
        }
        if let Some(rx) = &self.city
            && let Ok(read) = rx.try_recv()
        {
            self.city = None;
            events.push(Event::CityMapRead(Outcome(Arc::new(read))));
        }
    }
}
