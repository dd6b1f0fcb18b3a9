// Data-plane roles on the storage account, for the silos' managed identity, for client identities and for the
// deploying user (so `az storage blob upload --auth-mode login` works with shared keys off).

@description('Name of the existing storage account.')
param accountName string

@description('Principal id of the VM scale set\'s system-assigned identity.')
param siloPrincipalId string

@description('Object ids of client identities (services that submit jobs and read images).')
param clientPrincipalIds array

@description('Object id of the deploying user or pipeline; empty for none.')
param deployerPrincipalId string

@description('Principal type of deployerPrincipalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string

var roles = {
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  blobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  tableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: accountName
}

// Silos: write images, read models and builds; read and write membership, grain state and reminders.
resource siloBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, siloPrincipalId, roles.blobDataContributor)
  scope: account
  properties: {
    principalId: siloPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}

resource siloTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, siloPrincipalId, roles.tableDataContributor)
  scope: account
  properties: {
    principalId: siloPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataContributor)
  }
}

// Clients: read the membership table to find gateways, read the images their jobs produced.
resource clientTable 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for id in clientPrincipalIds: {
    name: guid(account.id, id, roles.tableDataReader)
    scope: account
    properties: {
      principalId: id
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.tableDataReader)
    }
  }
]

resource clientBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for id in clientPrincipalIds: {
    name: guid(account.id, id, roles.blobDataReader)
    scope: account
    properties: {
      principalId: id
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataReader)
    }
  }
]

// The deployer uploads models and silo builds.
resource deployerBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(account.id, deployerPrincipalId, roles.blobDataContributor)
  scope: account
  properties: {
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
  }
}
