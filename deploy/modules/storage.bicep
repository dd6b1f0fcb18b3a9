// The cluster's storage account: a blob container for images, one for model folders and one for silo builds, and the
// tables Orleans uses for cluster membership, grain (job) state and reminders. Shared keys are off: every caller
// (silos, clients, the deploying user) authenticates with Microsoft Entra ID and is granted a data role.

@description('Region of the storage account.')
param location string

@description('Globally unique storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Replication of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string

@description('Container the silos write generated images to.')
param imageContainerName string

@description('Container holding model folders (each under a prefix; its sana-model.json lists every file with its SHA-256).')
param modelContainerName string

@description('Container holding silo builds (sana-linux-x64.tar.gz and its .sha256).')
param releaseContainerName string

@description('Orleans tables: membership, grain state, reminders.')
param tableNames array

@description('Subnet allowed through the account firewall when publicNetworkAccess is restricted.')
param siloSubnetId string

@description('Reach the account only from the silo subnet and the listed IP ranges (true), or from anywhere with Entra ID auth (false).')
param restrictNetworkAccess bool

@description('Public IP ranges (CIDR) allowed through the firewall when restrictNetworkAccess is true, e.g. your workstation for uploads.')
param allowedIpRanges array

param tags object

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: restrictNetworkAccess ? 'Deny' : 'Allow'
      virtualNetworkRules: restrictNetworkAccess
        ? [
            {
              id: siloSubnetId
              action: 'Allow'
            }
          ]
        : []
      ipRules: [for range in (restrictNetworkAccess ? allowedIpRanges : []): {
        value: range
        action: 'Allow'
      }]
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in [imageContainerName, modelContainerName, releaseContainerName]: {
    parent: blobs
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in tableNames: {
    parent: tableService
    name: name
  }
]

output accountId string = account.id
output accountName string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
