import CASCore

/// The `builtins` action set: server information, help, reflection and action-set loading.
public let builtinsActionSet = ActionSet(
    name: "builtins", summary: "Builtins: server information, help, reflection and action-set loading.",
    actions: [Ping.self, Echo.self, ServerStatus.self, About.self, Help.self, ReflectAction.self, LoadActionSet.self,
              QueryActionSet.self, QueryName.self, ListActionSets.self, ListActions.self, CasCommon.self, DefineActionSet.self, DropActionSet.self,
              UserInfo.self, ActionSetInfo.self, History.self, Log.self, ListNodes.self, HTTPAddress.self, AddNode.self, RemoveNode.self])
