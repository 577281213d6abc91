import CASCore

/// The `image` action set: load image files into tables, process, summarize, fetch, save and
/// augment them. Not always loaded: `builtins.loadActionSet actionSet="image"`. Stored formats and
/// pixel order: docs/images.md §"The image action set".
public let imageActionSet = ActionSet(
    name: "image", summary: "Images: load image files into tables, process (resize, normalize, …), summarize, fetch, save and augment them.",
    actions: [LoadImages.self, ProcessImages.self, SummarizeImages.self, FetchImages.self, SaveImages.self, AugmentImages.self, ExtractDetectedObjects.self])
