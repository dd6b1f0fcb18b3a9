// Sana.Orleans on Azure GPU VMs: a storage account reached by managed identity (images, models, silo builds,
// Orleans tables), a private network, and a GPU VM scale set whose VMs each run one silo under systemd.
// Deploy with `azd up` (azure.yaml at the repository root) or `az deployment group create`; see docs/deploy.md.
targetScope = 'resourceGroup'

// ---- Where and what ---------------------------------------------------------------------------------------------

@description('Region of every resource. The GPU size must be offered there and your subscription needs quota for it.')
param location string = resourceGroup().location

@description('Prefix of resource names (letters and digits, 3-11 characters).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'sana'

@description('GPU VM size. NC H100 v5: 1 or 2 H100 NVL 94 GB; NC A100 v4: 1, 2 or 4 A100 PCIe 80 GB. Every GPU of a VM becomes a GPU grain.')
@allowed([
  'Standard_NC40ads_H100_v5'
  'Standard_NC80adis_H100_v5'
  'Standard_NC24ads_A100_v4'
  'Standard_NC48ads_A100_v4'
  'Standard_NC96ads_A100_v4'
])
param vmSize string = 'Standard_NC40ads_H100_v5'

@description('Number of GPU VMs (silos). 0 creates everything but the VMs, e.g. to upload the model first.')
@minValue(0)
@maxValue(100)
param instanceCount int = 1

@description('Spot VMs: evictable at 30 seconds\' notice, billed at the spot price.')
param useSpot bool = false

@description('Linux admin user of the VMs.')
param adminUsername string = 'azureuser'

@description('SSH public key of the admin user (password login is disabled). The VMs have no public IP: reach them from inside the network.')
param adminSshPublicKey string

@description('OS disk size in GiB (drivers, CUDA libraries, the silo and the model folder).')
@minValue(64)
@maxValue(2048)
param osDiskSizeGB int = 256

// ---- The cluster ------------------------------------------------------------------------------------------------

@description('Orleans ClusterId: silos and clients with the same id and membership table form one cluster.')
@minLength(1)
@maxLength(63)
param clusterId string = 'sana'

@description('Orleans ServiceId: keeps grain state and reminders of this service apart across cluster ids.')
@minLength(1)
@maxLength(63)
param serviceId string = 'sana'

@description('Orleans silo-to-silo port.')
param siloPort int = 11111

@description('Orleans client gateway port.')
param gatewayPort int = 30000

@description('Silo HTTP port (dashboard, /health). The silo binds it to loopback; the NSG never opens it to the Internet.')
param httpPort int = 8080

// ---- Model and silo build ---------------------------------------------------------------------------------------

@description('Model location: blob prefix (folder) of the model in the models container, e.g. "sana-1600m". The silos download it at start; its sana-model.json lists every other file with its SHA-256, and each is checked after download. Empty: the tiny bundled test model.')
param modelBlobPrefix string = ''

@description('Optional SHA-256 of the model\'s sana-model.json (pins the exact model; upload-model.sh prints it). Empty: the files are checked against the uploaded manifest only.')
param modelManifestSha256 string = ''

@description('Blob name of the silo build in the releases container: a .tar.gz of `dotnet publish src/Sana.Cli -r linux-x64` (see deploy/scripts/publish-silo.sh).')
param siloPackageBlob string = 'sana-linux-x64.tar.gz'

@description('Optional SHA-256 of the silo build. Empty: checked against the "<blob>.sha256" file uploaded beside it.')
param siloPackageSha256 string = ''

@description('NVIDIA driver branch (Ubuntu\'s signed precompiled server drivers, open kernel modules). CUDA 13 needs 580 or newer.')
param nvidiaDriverBranch string = '580'

// ---- Network and storage ----------------------------------------------------------------------------------------

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Address range of the silo subnet.')
param subnetAddressPrefix string = '10.40.0.0/22'

@description('Storage account name; empty derives a unique one from the resource group.')
@maxLength(24)
param storageAccountName string = ''

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param storageSku string = 'Standard_LRS'

@description('Restrict the storage account to the silo subnet and storageAllowedIpRanges (clients must then run in the network too).')
param restrictStorageNetworkAccess bool = false

@description('Public IP ranges allowed to the storage account when restrictStorageNetworkAccess is true (e.g. the workstation that uploads the model).')
param storageAllowedIpRanges array = []

@description('Blob container for generated images.')
param imageContainerName string = 'sana-images'

@description('Blob container for model folders.')
param modelContainerName string = 'models'

@description('Blob container for silo builds.')
param releaseContainerName string = 'releases'

@description('Orleans membership table.')
param membershipTableName string = 'OrleansSiloInstances'

// ---- Identities -------------------------------------------------------------------------------------------------

@description('Object ids of client service identities: granted Storage Table Data Reader (find gateways) and Storage Blob Data Reader (read images).')
param clientPrincipalIds array = []

@description('Object id of the deploying user or pipeline, granted Storage Blob Data Contributor to upload models and builds (azd fills it in). Empty: none.')
param deployerPrincipalId string = ''

@description('Principal type of deployerPrincipalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string = 'User'

@description('Replace VMs whose silo stays unhealthy after a 60-minute grace period.')
param enableAutomaticRepairs bool = false

@description('Tags on every resource.')
param tags object = {}

// ---- Derived values ---------------------------------------------------------------------------------------------

var accountName = empty(storageAccountName) ? take('${toLower(namePrefix)}${uniqueString(resourceGroup().id)}', 24) : storageAccountName
// Orleans' default table names for Azure Table grain storage and reminders (the silo does not rename them).
var grainStateTableName = 'OrleansGrainState'
var remindersTableName = 'OrleansReminders'
// Sana:ModelPath of the silos: the model folder's blob URL, which each silo downloads and checks at start; empty keeps
// the silo's default, the bundled tiny model.
var modelPath = empty(modelBlobPrefix) ? '' : '${storage.outputs.blobEndpoint}${modelContainerName}/${modelBlobPrefix}/'

module network 'modules/network.bicep' = {
  name: 'sana-network'
  params: {
    location: location
    namePrefix: namePrefix
    vnetAddressPrefix: vnetAddressPrefix
    subnetAddressPrefix: subnetAddressPrefix
    siloPort: siloPort
    gatewayPort: gatewayPort
    httpPort: httpPort
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'sana-storage'
  params: {
    location: location
    accountName: accountName
    skuName: storageSku
    imageContainerName: imageContainerName
    modelContainerName: modelContainerName
    releaseContainerName: releaseContainerName
    tableNames: [
      membershipTableName
      grainStateTableName
      remindersTableName
    ]
    siloSubnetId: network.outputs.subnetId
    restrictNetworkAccess: restrictStorageNetworkAccess
    allowedIpRanges: storageAllowedIpRanges
    tags: tags
  }
}

// cloud-init: deploy/cloud-init.yaml with its {{PLACEHOLDERS}} replaced; the systemd unit and the scripts ride along
// base64-encoded so their text reaches the VM byte for byte.
var cloudInit = reduce(
  items({
    '{{STORAGE_ACCOUNT}}': accountName
    '{{BLOB_ENDPOINT}}': storage.outputs.blobEndpoint
    '{{TABLE_ENDPOINT}}': storage.outputs.tableEndpoint
    '{{IMAGE_CONTAINER}}': imageContainerName
    '{{MODEL_PATH}}': modelPath
    '{{MODEL_MANIFEST_SHA256}}': modelManifestSha256
    '{{RELEASE_CONTAINER}}': releaseContainerName
    '{{SILO_PACKAGE}}': siloPackageBlob
    '{{SILO_PACKAGE_SHA256}}': siloPackageSha256
    '{{NVIDIA_DRIVER_BRANCH}}': nvidiaDriverBranch
    '{{CLUSTER_ID}}': clusterId
    '{{SERVICE_ID}}': serviceId
    '{{MEMBERSHIP_TABLE}}': membershipTableName
    '{{SILO_PORT}}': string(siloPort)
    '{{GATEWAY_PORT}}': string(gatewayPort)
    '{{HTTP_PORT}}': string(httpPort)
    '{{SILO_UNIT_B64}}': loadFileAsBase64('sana-silo.service')
    '{{TERMINATE_UNIT_B64}}': loadFileAsBase64('sana-terminate-watch.service')
    '{{PROVISION_SCRIPT_B64}}': loadFileAsBase64('scripts/sana-provision.sh')
    '{{FETCH_SCRIPT_B64}}': loadFileAsBase64('scripts/sana-fetch.sh')
    '{{TERMINATE_SCRIPT_B64}}': loadFileAsBase64('scripts/sana-terminate-watch.sh')
  }),
  loadTextContent('cloud-init.yaml'),
  (text, placeholder) => replace(text, placeholder.key, placeholder.value)
)

module silos 'modules/vmss.bicep' = {
  name: 'sana-silos'
  params: {
    location: location
    namePrefix: namePrefix
    vmSize: vmSize
    instanceCount: instanceCount
    useSpot: useSpot
    subnetId: network.outputs.subnetId
    adminUsername: adminUsername
    adminSshPublicKey: adminSshPublicKey
    cloudInit: cloudInit
    osDiskSizeGB: osDiskSizeGB
    httpPort: httpPort
    enableAutomaticRepairs: enableAutomaticRepairs
    tags: tags
  }
}

module roles 'modules/storage-roles.bicep' = {
  name: 'sana-storage-roles'
  params: {
    accountName: storage.outputs.accountName
    siloPrincipalId: silos.outputs.principalId
    clientPrincipalIds: clientPrincipalIds
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
}

// ---- What a client needs ----------------------------------------------------------------------------------------

output storageAccountName string = storage.outputs.accountName
output blobEndpoint string = storage.outputs.blobEndpoint
output tableEndpoint string = storage.outputs.tableEndpoint
output imageContainerName string = imageContainerName
output modelContainerName string = modelContainerName
output releaseContainerName string = releaseContainerName
output clusterId string = clusterId
output serviceId string = serviceId
output membershipTableName string = membershipTableName
output gatewayPort int = gatewayPort
output vnetId string = network.outputs.vnetId
output subnetId string = network.outputs.subnetId
output vmssName string = silos.outputs.vmssName
output siloPrincipalId string = silos.outputs.principalId

@description('Configuration for a client (ASP.NET-style keys; as environment variables replace ":" with "__"). No secrets: the client authenticates with its own Entra ID identity.')
output clientConfiguration object = {
  'Sana:Cluster:ClusterId': clusterId
  'Sana:Cluster:ServiceId': serviceId
  'Sana:Cluster:Clustering': 'AzureTable'
  'Sana:Cluster:TableServiceUri': storage.outputs.tableEndpoint
  'Sana:Cluster:MembershipTableName': membershipTableName
  'Sana:ImageStore:Kind': 'AzureBlob'
  'Sana:ImageStore:ServiceUri': storage.outputs.blobEndpoint
  'Sana:ImageStore:ContainerName': imageContainerName
}
