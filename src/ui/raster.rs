//! egui's painted output drawn into pixels without a GPU: the triangles egui tessellates, with
//! their textures (fonts, map tiles) and clip rectangles, blended as egui's own renderers blend
//! them (premultiplied alpha, in gamma space). The map picture is made with it, headless, on a
//! server as on a laptop; no crate does this for egui 0.37.

use std::collections::HashMap;

use egui::epaint::{ClippedPrimitive, ImageData, Primitive, TextureId, Vertex};
use egui::{Color32, TextureFilter, TexturesDelta};

/// A texture as egui delivered it (premultiplied sRGBA).
struct Texture {
    size: [usize; 2],
    pixels: Vec<Color32>,
    linear: bool,
}

impl Texture {
    /// The texel at `uv` (0–1 across the texture), premultiplied, as four floats 0–255.
    fn sample(&self, u: f32, v: f32) -> [f32; 4] {
        let [w, h] = self.size;
        if w == 0 || h == 0 {
            return [255.0; 4];
        }
        let texel = |x: isize, y: isize| {
            let x = x.clamp(0, w as isize - 1) as usize;
            let y = y.clamp(0, h as isize - 1) as usize;
            let c = self.pixels[y * w + x];
            [c.r() as f32, c.g() as f32, c.b() as f32, c.a() as f32]
        };
        let x = u * w as f32 - 0.5;
        let y = v * h as f32 - 0.5;
        if !self.linear {
            return texel(x.round() as isize, y.round() as isize);
        }
        let (x0, y0) = (x.floor(), y.floor());
        let (fx, fy) = (x - x0, y - y0);
        let (x0, y0) = (x0 as isize, y0 as isize);
        let [a, b, c, d] = [
            texel(x0, y0),
            texel(x0 + 1, y0),
            texel(x0, y0 + 1),
            texel(x0 + 1, y0 + 1),
        ];
        std::array::from_fn(|k| {
            let top = a[k] + (b[k] - a[k]) * fx;
            let bottom = c[k] + (d[k] - c[k]) * fx;
            top + (bottom - top) * fy
        })
    }
}

/// Pixels (premultiplied RGBA) and the textures egui has sent so far.
pub struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<[u8; 4]>,
    textures: HashMap<TextureId, Texture>,
}

impl Canvas {
    /// A canvas of `width` × `height` pixels filled with `background`.
    pub fn new(width: u32, height: u32, background: Color32) -> Self {
        let (width, height) = (width as usize, height as usize);
        let b = background;
        Canvas {
            width,
            height,
            pixels: vec![[b.r(), b.g(), b.b(), b.a()]; width * height],
            textures: HashMap::new(),
        }
    }

    /// Take in the textures a frame set (whole, or a patch of one already here).
    pub fn set_textures(&mut self, delta: &mut TexturesDelta) {
        let set = std::mem::take(&mut delta.set);
        for (id, d) in set
            .iter()
            .flat_map(|(id, ds)| ds.iter().map(move |d| (id, d)))
        {
            let ImageData::Color(image) = &d.image;
            let linear = d.options.magnification == TextureFilter::Linear;
            match d.pos {
                None => {
                    self.textures.insert(
                        *id,
                        Texture {
                            size: image.size,
                            pixels: image.pixels.clone(),
                            linear,
                        },
                    );
                }
                Some([x0, y0]) => {
                    let Some(t) = self.textures.get_mut(id) else {
                        continue;
                    };
                    let [pw, ph] = image.size;
                    for y in 0..ph {
                        for x in 0..pw {
                            if x0 + x < t.size[0] && y0 + y < t.size[1] {
                                t.pixels[(y0 + y) * t.size[0] + x0 + x] = image.pixels[y * pw + x];
                            }
                        }
                    }
                }
            }
        }
    }

    /// Forget the textures a frame freed (after painting it).
    pub fn free_textures(&mut self, mut delta: TexturesDelta) {
        for id in &delta.free {
            self.textures.remove(id);
        }
        delta.clear();
    }

    /// Paint a frame's tessellated output; `pixels_per_point` as egui tessellated it.
    pub fn paint(&mut self, primitives: &[ClippedPrimitive], pixels_per_point: f32) {
        for p in primitives {
            let Primitive::Mesh(mesh) = &p.primitive else {
                continue;
            };
            let clip = p.clip_rect * pixels_per_point;
            let clip = [
                clip.min.x.max(0.0).floor() as i64,
                clip.min.y.max(0.0).floor() as i64,
                (clip.max.x.ceil() as i64).min(self.width as i64),
                (clip.max.y.ceil() as i64).min(self.height as i64),
            ];
            if clip[0] >= clip[2] || clip[1] >= clip[3] {
                continue;
            }
            // take the texture out while painting with it (the pixels are borrowed mutably)
            let texture = self.textures.remove(&mesh.texture_id);
            for tri in mesh.indices.chunks_exact(3) {
                let v = |i: u32| {
                    let mut v: Vertex = mesh.vertices[i as usize];
                    v.pos = (v.pos.to_vec2() * pixels_per_point).to_pos2();
                    v
                };
                self.triangle([v(tri[0]), v(tri[1]), v(tri[2])], texture.as_ref(), clip);
            }
            if let Some(t) = texture {
                self.textures.insert(mesh.texture_id, t);
            }
        }
    }

    fn triangle(&mut self, mut v: [Vertex; 3], texture: Option<&Texture>, clip: [i64; 4]) {
        let edge = |a: egui::Pos2, b: egui::Pos2, p: egui::Pos2| {
            (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x)
        };
        let mut area = edge(v[0].pos, v[1].pos, v[2].pos);
        if area.abs() < 1e-6 {
            return;
        }
        if area < 0.0 {
            v.swap(1, 2);
            area = -area;
        }
        let [a, b, c] = [v[0].pos, v[1].pos, v[2].pos];
        // a pixel centre exactly on an edge shared by two triangles is painted by one of them
        // (the "top-left" rule), so translucent quads show no seam along their diagonal
        let owns = |from: egui::Pos2, to: egui::Pos2| {
            let (dx, dy) = (to.x - from.x, to.y - from.y);
            dy > 0.0 || (dy == 0.0 && dx < 0.0)
        };
        let takes = [owns(b, c), owns(c, a), owns(a, b)];
        let x0 = (a.x.min(b.x).min(c.x).floor() as i64).max(clip[0]);
        let y0 = (a.y.min(b.y).min(c.y).floor() as i64).max(clip[1]);
        let x1 = (a.x.max(b.x).max(c.x).ceil() as i64).min(clip[2]);
        let y1 = (a.y.max(b.y).max(c.y).ceil() as i64).min(clip[3]);
        let colour = |k: usize| {
            let c = v[k].color;
            [c.r() as f32, c.g() as f32, c.b() as f32, c.a() as f32]
        };
        let colours = [colour(0), colour(1), colour(2)];
        for y in y0..y1 {
            for x in x0..x1 {
                let p = egui::pos2(x as f32 + 0.5, y as f32 + 0.5);
                let w = [edge(b, c, p), edge(c, a, p), edge(a, b, p)];
                if (0..3).any(|k| w[k] < 0.0 || (w[k] == 0.0 && !takes[k])) {
                    continue;
                }
                let l = [w[0] / area, w[1] / area, w[2] / area];
                let mut src: [f32; 4] = std::array::from_fn(|k| {
                    l[0] * colours[0][k] + l[1] * colours[1][k] + l[2] * colours[2][k]
                });
                if let Some(t) = texture {
                    let u = l[0] * v[0].uv.x + l[1] * v[1].uv.x + l[2] * v[2].uv.x;
                    let s = l[0] * v[0].uv.y + l[1] * v[1].uv.y + l[2] * v[2].uv.y;
                    let texel = t.sample(u, s);
                    for k in 0..4 {
                        src[k] = src[k] * texel[k] / 255.0;
                    }
                }
                let dst = &mut self.pixels[y as usize * self.width + x as usize];
                let keep = 1.0 - src[3] / 255.0;
                for k in 0..4 {
                    dst[k] = (src[k] + dst[k] as f32 * keep).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }

    /// The colour at a pixel (premultiplied), for tests.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        self.pixels[y as usize * self.width + x as usize]
    }

    /// The picture as a PNG file's bytes.
    pub fn png(&self) -> anyhow::Result<Vec<u8>> {
        let size = tiny_skia::IntSize::from_wh(self.width as u32, self.height as u32)
            .ok_or_else(|| anyhow::anyhow!("a picture needs a size"))?;
        let bytes = self.pixels.iter().flatten().copied().collect();
        let pixmap = tiny_skia::Pixmap::from_vec(bytes, size)
            .ok_or_else(|| anyhow::anyhow!("picture pixels do not match its size"))?;
        Ok(pixmap.encode_png()?)
    }
}
