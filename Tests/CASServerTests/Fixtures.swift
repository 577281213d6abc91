import CASWire

/// An inline table of every column type.
let allTypesVars: Value = [
    ["name": "d", "type": "double", "label": "A double", "format": "BEST12."],
    ["name": "l", "type": "int64"], ["name": "i", "type": "int32"], ["name": "s", "type": "varchar"],
    ["name": "b", "type": "varbinary", "attributes": ["MIMEType": "image/png"]],
]
let allTypesRows: Value = [
    [1.5, 9_007_199_254_740_993, -2_147_483_647, "héllo, \"world\"", .blob([0, 1, 2, 255])],
    [nil, nil, nil, nil, nil],
    [-0.25, -1, 2_147_483_647, "", .blob([])],
]
