import CASCore

/// The `deepLearn` action set: models as tables, training, scoring and weights over DLEngine.
public let deepLearnActionSet = ActionSet(
    name: "deepLearn", summary: "Deep learning: build CNN models layer by layer, import weights, train with SGD, score images.",
    actions: [BuildModel.self, AddLayer.self, RemoveLayer.self, ModelInfoAction.self, BuildTorchvisionModel.self,
              DLImportModelWeights.self, DLExportModel.self, DLTrain.self, DLScore.self, DLHeatMap.self, DLCharts.self, DLEvaluatePictures.self, DLJoin.self])
